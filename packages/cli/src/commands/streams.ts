import { type Command, Option } from 'commander';
import { DEFAULT_TAIL_URL } from './read-target.js';

export interface StreamsFlags {
  prefix?: string;
  label: string[];
  order: 'recent' | 'name';
  limit?: string;
  output: 'table' | 'json';
  token?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * `livelog streams [URL]`: lists a server's streams (those the token may read), newest activity
 * first, as a table or as JSON, following the server's pages to the end (or `--limit`).
 */
export function registerStreams(program: Command): void {
  program
    .command('streams')
    .description('list the streams of a livelog server: name, state, entries, last activity, labels')
    .argument('[url]', `server base URL (default $LIVELOG_URL or ${DEFAULT_TAIL_URL})`)
    .option('--prefix <prefix>', 'only streams whose name starts with this')
    .option('--label <key=value>', 'only streams with this label (repeatable: all must match)', collect, [])
    .addOption(new Option('--order <order>', 'recent (last activity first) or name').choices(['recent', 'name']).default('recent'))
    .option('--limit <n>', 'list at most this many streams (default: all)')
    .addOption(
      new Option('-o, --output <format>', 'table, or json (an array of stream objects)').choices(['table', 'json']).default('table'),
    )
    .addOption(new Option('--token <token>', 'token with the read scope').env('LIVELOG_TOKEN'))
    .action(async (url: string | undefined, flags: StreamsFlags) => {
      const { runStreams } = await import('./streams-action.js');
      process.exit(await runStreams(url ?? process.env.LIVELOG_URL ?? DEFAULT_TAIL_URL, flags));
    });
}
