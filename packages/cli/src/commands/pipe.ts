import { createReadStream, fstatSync } from 'node:fs';
import { parseLevelValue } from '@livelog/core/ingest';
import { type Command, Option } from 'commander';
import { shipLines } from '../ingest/ship-lines.js';
import {
  addShippingOptions,
  checkedSource,
  checkedStream,
  fail,
  lineOptions,
  openServer,
  openShipping,
  type ShippingFlags,
  serveUntilInterrupted,
  usage,
} from '../ingest/shipping-target.js';

/** Flags of `livelog pipe`. */
interface PipeFlags extends ShippingFlags {
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
    .addHelpText(
      'after',
      `
Examples:
  $ tail -F /var/log/nginx/access.log | livelog pipe --server http://127.0.0.1:7600 --source nginx
  $ ./import.sh 2>&1 | livelog pipe --server http://127.0.0.1:7600 --stream import-2024-06 --end
                                        its own stream, ended when the input ends
  $ livelog pipe --server http://127.0.0.1:7600 --follow '/var/log/app/*.log' --checkpoint /var/lib/livelog/app.ckpt
                                        follow files across rotation, resuming exactly after a restart`,
    )
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
    if (flags.follow !== undefined || flags.journal) await follow(flags, self.getOptionValueSource('source') !== 'default');
    else await pipe(flags);
  });
}

async function pipe(flags: PipeFlags): Promise<void> {
  const forceLevel = flags.level === undefined ? undefined : parseLevelValue(flags.level);
  if (flags.level !== undefined && forceLevel === undefined) usage('pipe', `--level: not a level: ${JSON.stringify(flags.level)}`);
  if (flags.end && !flags.stream) usage('pipe', '--end needs --stream: only a named stream can be ended');
  const { multiline, time } = lineOptions('pipe', flags);
  const target = await openShipping('pipe', flags, flags.source);
  // 1 MiB reads: far fewer calls than process.stdin's 64 KiB when a file is redirected in. A pipe,
  // socket or terminal is read by process.stdin instead: a read of fd 0 on the thread pool would block
  // until input comes, and hold the exit after Ctrl-C back until then.
  const input = fstatSync(0).isFile() ? createReadStream('', { fd: 0, highWaterMark: 1024 * 1024, autoClose: false }) : process.stdin;
  // Ctrl-C or SIGTERM (a service stopped, `tail -F app.log | livelog pipe` interrupted) ends the input
  // where it is: every line read, and the one without its newline yet, is still delivered, as at the
  // end of stdin. Dying at once lost them all, the spool aside. A second signal leaves at once.
  const stopped = new AbortController();
  const onSignal = (): void => stopped.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const lines = await shipLines(input, {
    shipper: target.shipper,
    defaults: { level: 'info', time, ...(forceLevel === undefined ? {} : { forceLevel }) },
    multiline,
    stop: stopped.signal,
  });
  // From here a signal acts as it did before: it ends the console's wait below, or leaves at once.
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // Stopped by a signal, the input did not end: the stream stays open for the next pipe.
  if (flags.end && !stopped.signal.aborted) await target.endStream({ reason: 'end of input' });
  if (target.embedded !== undefined && !flags.exit && !stopped.signal.aborted) {
    const report = await target.shipper.flush();
    await serveUntilInterrupted(
      `livelog pipe: stdin ended after ${lines} line(s), ${report.acknowledged} entr${report.acknowledged === 1 ? 'y' : 'ies'} stored`,
      target.consoleUrl,
    );
  }
  const report = await target.finish();
  process.exit(report.complete && report.rejected === 0 ? 0 : 1);
}

/** `--follow` and `--journal`: until SIGINT/SIGTERM (or the end, with --once); the checkpoint is saved on the way out. */
async function follow(flags: PipeFlags, sourceGiven: boolean): Promise<void> {
  if (flags.follow !== undefined && flags.journal)
    usage('pipe', '--follow and --journal each need a process (and a checkpoint) of their own');
  if (flags.checkpoint === undefined || flags.checkpoint === '') {
    usage(
      'pipe',
      `${flags.journal ? '--journal' : '--follow'} needs --checkpoint FILE: the position acknowledged by the server is kept there`,
    );
  }
  if (flags.spool !== undefined) usage('pipe', '--spool does not apply to --follow or --journal: the followed input itself is the spool');
  const forceLevel = flags.level === undefined ? undefined : parseLevelValue(flags.level);
  if (flags.level !== undefined && forceLevel === undefined) usage('pipe', `--level: not a level: ${JSON.stringify(flags.level)}`);
  const { time } = lineOptions('pipe', flags);
  const stream = checkedStream('pipe', flags.stream);
  if (sourceGiven) checkedSource('pipe', flags.source);
  if (flags.end) usage('pipe', '--end does not apply to --follow or --journal: a followed input has no end');
  const what = flags.journal ? 'the journal' : (flags.follow ?? []).join(', ');
  const { url, embedded } = await openServer(
    'pipe',
    flags,
    `following ${what}${stream === undefined ? '' : `, stream "${stream}"`}`,
    stream,
  );
  const say = (text: string): void => {
    process.stderr.write(`livelog pipe: ${text}\n`);
  };
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let result: { batches: number; rejected: number };
  try {
    const common = {
      url,
      checkpointPath: flags.checkpoint,
      fromStart: flags.fromStart,
      once: flags.once,
      say,
      ...(flags.token ? { token: flags.token } : {}),
      ...(stream === undefined ? {} : { stream }),
    };
    // Loaded only when following: the glob matcher and the follower stay out of every other command's start.
    const { followFiles } = await import('../follow/follow-files.js');
    const { followJournal } = await import('../follow/follow-journal.js');
    result = flags.journal
      ? await followJournal(
          {
            ...common,
            ...(flags.unit ? { unit: flags.unit } : {}),
            ...(flags.journalDirectory ? { directory: flags.journalDirectory } : {}),
          },
          controller.signal,
        )
      : await followFiles(
          {
            ...common,
            patterns: flags.follow ?? [],
            ...(sourceGiven ? { source: flags.source } : {}),
            defaults: { level: 'info', time, ...(forceLevel === undefined ? {} : { forceLevel }) },
          },
          controller.signal,
        );
  } catch (error) {
    fail('pipe', error instanceof Error ? error.message : String(error));
  }
  if (embedded !== undefined && !flags.exit && flags.once && !controller.signal.aborted) {
    await serveUntilInterrupted(`livelog pipe: ${what} shipped`, url);
  }
  if (embedded !== undefined) await embedded.close();
  process.exit(result.rejected === 0 ? 0 : 1);
}
