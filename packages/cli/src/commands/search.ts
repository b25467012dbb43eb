import { type Command, Option } from 'commander';
import { addReadOptions, DEFAULT_TAIL_URL, type ReadFlags } from './read-target.js';

export interface SearchFlags extends ReadFlags {
  since?: string;
  until?: string;
  stream?: string;
  maxCount?: string;
  context?: string;
  afterContext?: string;
  beforeContext?: string;
  lineNumber: boolean;
  count: boolean;
  reverse: boolean;
}

/**
 * `livelog search [URL] QUERY`: the entries of a stream's history that match a query in the query
 * language, oldest first, with grep's context (`-A/-B/-C`, groups separated by `--`), `-m`, `-c` and
 * exit codes. The search runs on the server (`GET …/logs?q=`, paged by `next`); context comes from
 * `GET …/logs?around=`.
 */
export function registerSearch(program: Command): void {
  const command = program
    .command('search')
    .description('print the entries of a stream’s history that match a query, like grep')
    .usage('[options] [url] <query>')
    .argument('[url]', `server base URL (default $LIVELOG_URL or ${DEFAULT_TAIL_URL}); with one argument, that argument is the query`)
    .argument('[query]', "what to find, in the query language (docs/reference/query-language.md); '' matches every entry")
    .option('--since <time>', 'only entries from this time: a duration back from now (10m, 1h30m), RFC 3339, or epoch ms')
    .option('--until <time>', 'only entries up to this time, inclusive (same forms as --since)')
    .option('-m, --max-count <n>', 'stop after N matches (trailing context still printed)')
    .option('-C, --context <n>', 'N unfiltered lines before and after each match')
    .option('-A, --after-context <n>', 'N lines after each match')
    .option('-B, --before-context <n>', 'N lines before each match')
    .option('-n, --line-number', 'prefix each line with its seq and ":" (a match) or "-" (context); on by default with context', false)
    .option('-c, --count', 'print only the number of matches', false)
    .option('-r, --reverse', 'newest first (-A still counts newer lines, -B older)', false);
  addReadOptions(command)
    .addOption(new Option('--stream <name>', 'search this named stream (unset: the stream named default)').env('LIVELOG_STREAM'))
    .addHelpText(
      'after',
      `
Exit status: 0 when something matched, 1 when nothing did, 2 on a usage error, a query the server
cannot read, or a server that cannot be read.`,
    )
    .action(async (first: string | undefined, second: string | undefined, flags: SearchFlags) => {
      const url = second === undefined ? undefined : first;
      const query = second ?? first;
      const { runSearch } = await import('./search-action.js');
      process.exit(await runSearch(url ?? process.env.LIVELOG_URL ?? DEFAULT_TAIL_URL, query, flags));
    });
}
