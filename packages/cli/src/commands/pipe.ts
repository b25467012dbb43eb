import { type Command, Option } from 'commander';
import { addShippingOptions, type ShippingFlags } from '../ingest/shipping-options.js';

/** Flags of `livelog pipe`. */
export interface PipeFlags extends ShippingFlags {
  source: string;
  level?: string;
  /** With `--stream`: end the stream once stdin ended and every line is stored. */
  end: boolean;
  follow?: string[];
  journal: boolean;
  unit?: string;
  journalDirectory?: string;
  checkpoint?: string;
  fromStart: boolean;
  once: boolean;
}

/**
 * `livelog pipe [--server URL] [--source name] [--spool DIR]`: ships stdin line by line, a stack
 * trace as one entry. Exits 0 once every line is acknowledged; 1 when lines were refused or could
 * not be delivered in time. Without --server the lines go to an embedded server, which keeps
 * serving its console after stdin ends, until Ctrl-C (or not, with --exit). With `--stream NAME`
 * the lines go to that stream; `--end` ends it at the end of stdin (reason `end of input`), which
 * stops its readers; without `--end` it stays open for more.
 *
 * `--follow PATH|GLOB... --checkpoint FILE` follows files instead (like `tail -F`), and
 * `--journal [--unit NAME] --checkpoint FILE` the systemd journal; both resume exactly where the
 * server last acknowledged, and run until Ctrl-C or SIGTERM (or, with --once, to the end of the input).
 */
export function registerPipe(program: Command): void {
  const command = program
    .command('pipe')
    .description('ship stdin (or followed files, or the journal) to livelog, line by line, without losing one')
    .addOption(
      new Option('-S, --source <name>', 'source of the lines (default stdin; with --follow the file name)')
        .env('LIVELOG_SOURCE')
        .default('stdin'),
    )
    .addOption(
      new Option('-l, --level <level>', 'give every line this level (default: the level a line states, else info)').env('LIVELOG_LEVEL'),
    )
    .addOption(new Option('--end', 'with --stream: end the stream once stdin ended and every line is stored').default(false))
    .addOption(
      new Option('-f, --follow <paths...>', 'follow these files or globs like tail -F, across rotation (needs --checkpoint)').env(
        'LIVELOG_FOLLOW',
      ),
    )
    .addOption(
      new Option('--journal', 'follow the systemd journal through journalctl (needs --checkpoint)').env('LIVELOG_JOURNAL').default(false),
    )
    .addOption(new Option('--unit <name>', 'with --journal: only this systemd unit').env('LIVELOG_UNIT'))
    .addOption(
      new Option('--journal-directory <dir>', 'with --journal: read the journal files in this directory (journalctl --directory)').env(
        'LIVELOG_JOURNAL_DIRECTORY',
      ),
    )
    .addOption(
      new Option('--checkpoint <file>', 'with --follow or --journal: where the acknowledged position is kept').env('LIVELOG_CHECKPOINT'),
    )
    .addOption(
      new Option('--from-start', 'with --follow or --journal and no checkpoint yet: read from the start, not the end')
        .env('LIVELOG_FROM_START')
        .default(false),
    )
    .addOption(
      new Option('--once', 'with --follow or --journal: stop at the end of the input instead of following')
        .env('LIVELOG_ONCE')
        .default(false),
    );
  addShippingOptions(command).action(async (flags: PipeFlags, self: Command) => {
    // The shipping code and the client load only once the command runs: `--help` and usage errors start faster.
    const { follow, pipe } = await import('./pipe-action.js');
    if (flags.follow !== undefined || flags.journal) await follow(flags, self.getOptionValueSource('source') !== 'default');
    else await pipe(flags);
  });
}
