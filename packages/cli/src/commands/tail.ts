import { type Command, Option } from 'commander';
import { addReadOptions, DEFAULT_TAIL_URL, type ReadFlags } from './read-target.js';

export interface TailFlags extends ReadFlags {
  follow: boolean;
  tail?: string;
  since?: string;
  until?: string;
  include: string[];
  exclude: string[];
  query?: string;
  highlight: string[];
  cursorFile?: string;
  quiet: boolean;
  stream?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * `livelog tail [URL]`: prints a server's entries and follows it, resuming after every cut without
 * losing or repeating a line. Flags follow tail -F, docker logs, kubectl logs, stern and journalctl.
 * Entries go to stdout; gaps, resets and reconnects to stderr only. With `--stream NAME` it reads
 * that stream; when following, it waits for the stream to be created, and when the stream ends it
 * prints a last line on stderr and exits with the stream's exit code (see exitCodeOfEnd).
 */
export function registerTail(program: Command): void {
  const command = program
    .command('tail')
    .description('print and follow the entries of a livelog server, resuming after every cut')
    .argument('[url]', `server base URL (default $LIVELOG_URL or ${DEFAULT_TAIL_URL})`)
    .option('-f, --follow', 'keep following new entries (default)', true)
    .option('--no-follow', 'print what is there and exit')
    .option('-n, --tail <n>', 'start with the last N entries, or "all" (default 10)')
    .option('--since <time>', 'start at a time: a duration back from now (10m, 1h30m), RFC 3339, or epoch ms')
    .option('--until <time>', 'stop at a time (same forms as --since); implies --no-follow')
    .option('-i, --include <regex>', 'only messages matching (repeatable: any)', collect, [])
    .option('-e, --exclude <regex>', 'no messages matching (repeatable)', collect, [])
    .option(
      '--query <query>',
      "server-side search in the query language (docs/reference/query-language.md), e.g. 'timeout -debug user.id:42'",
    )
    .option('-H, --highlight <regex>', 'highlight matches (repeatable; needs colour)', collect, []);
  addReadOptions(command)
    .option('--cursor-file <path>', 'continue after the id stored here, and store the last id printed')
    .option('-q, --quiet', 'no reconnect notices on stderr (gaps are still reported)', false)
    .addOption(
      new Option(
        '--stream <name>',
        'read this named stream (unset: the stream named default); when following, exit with its exit code once it ends',
      ).env('LIVELOG_STREAM'),
    )
    .action(async (url: string | undefined, flags: TailFlags) => {
      // Exit explicitly: a closed stream leaves nothing to wait for, and a pooled socket must not delay the exit.
      // The reading code and the client load only once the command runs: `--help` and usage errors start faster.
      const { runTail } = await import('./tail-action.js');
      process.exit(await runTail(url ?? process.env.LIVELOG_URL ?? DEFAULT_TAIL_URL, flags));
    });
}
