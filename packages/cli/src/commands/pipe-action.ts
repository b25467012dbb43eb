import { createReadStream, fstatSync } from 'node:fs';
import { parseLevelValue } from '@livelog/core/ingest';
import { shipLines } from '../ingest/ship-lines.js';
import { checkedSource, checkedStream, fail, lineOptions, usage } from '../ingest/shipping-options.js';
import { openServer, openShipping, serveUntilInterrupted } from '../ingest/shipping-target.js';
import type { PipeFlags } from './pipe.js';

/** `livelog pipe` once its flags are parsed; pipe.ts registers the command and imports this module only to run it. */
export async function pipe(flags: PipeFlags): Promise<void> {
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
export async function follow(flags: PipeFlags, sourceGiven: boolean): Promise<void> {
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
