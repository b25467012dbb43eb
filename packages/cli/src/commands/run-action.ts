import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { basename } from 'node:path';
import { checkSource } from '@livelog/core/ingest';
import { callerEnvironment } from '../empty-variables.js';
import { shipLines } from '../ingest/ship-lines.js';
import { failureCode, lineOptions } from '../ingest/shipping-options.js';
import { openShipping, serveUntilInterrupted } from '../ingest/shipping-target.js';
import { endOfExit } from '../ingest/stream-end.js';
import type { RunFlags } from './run.js';

/** After the program exits, its output is read until quiet this long (what it wrote last is in the pipe)… */
const SETTLE_QUIET_MS = 200;
/** …or for this long at most, while processes it left running keep writing. */
const SETTLE_MAX_MS = 2000;

/** Signals a terminal or a supervisor sends that the wrapped program must see. */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/** `livelog run` once its flags are parsed; run.ts registers the command and imports this module only to run it. */
export async function run(file: string, args: string[], flags: RunFlags): Promise<void> {
  // A name given is checked (openShipping: a usage error); one taken from the program is made fit.
  const source = flags.name ?? sourceName(basename(file));
  const { multiline, time } = lineOptions('run', flags);
  const target = await openShipping('run', flags, source);
  const { shipper } = target;
  const started = Date.now();
  // The program gets livelog's own environment, LIVELOG_* variables set to '' included.
  const env = callerEnvironment();
  // The program writes into a pipe, not the terminal, and most programs drop their colours then;
  // when the terminal would have shown them, ask for them (honoured by chalk, supports-color, npm, …).
  if (process.stdout.isTTY && env.FORCE_COLOR === undefined && env.NO_COLOR === undefined) env.FORCE_COLOR = '1';
  const child = spawn(file, args, { stdio: ['inherit', 'pipe', 'pipe'], env });
  let spawnError: NodeJS.ErrnoException | undefined;
  // The program's exit ends the job, not the end of its output: processes it left running in the
  // background may hold its stdout and stderr open for as long as they live.
  const exited = new AbortController();
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) {
        spawnError = error;
        exited.abort();
        resolve({ code: null, signal: null });
      }
    });
    child.once('exit', (code, signal) => {
      exited.abort();
      resolve({ code, signal });
    });
  });
  let cut = false;
  const settle = {
    signal: exited.signal,
    quietMs: SETTLE_QUIET_MS,
    maxMs: SETTLE_MAX_MS,
    onCut: () => {
      if (cut) return;
      cut = true;
      process.stderr.write(
        `livelog run: ${file} exited, but processes it started still hold its output open; what they write from now on is not followed\n`,
      );
    },
  };
  const forward = (signal: NodeJS.Signals): void => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill(signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  const command = [file, ...args];
  if (child.pid !== undefined) {
    shipper.write({ msg: `started: ${command.join(' ')}`, level: 'info', time: started, event: 'start', pid: child.pid, command });
  }
  const [stdoutLines, stderrLines] = await Promise.all([
    shipLines(child.stdout, { shipper, defaults: { level: 'info', time }, passthrough: process.stdout, multiline, settle }),
    shipLines(child.stderr, {
      shipper,
      defaults: { level: 'error', time, fields: { stream: 'stderr' } },
      passthrough: process.stderr,
      multiline,
      settle,
    }),
  ]);
  const { code, signal } = await closed;
  const durationMs = Date.now() - started;
  let exitCode: number;
  let end: { exitCode?: number; reason?: string };
  if (spawnError !== undefined) {
    // The shell's codes: 127 not found, 126 found but not executable.
    exitCode = spawnError.code === 'ENOENT' ? 127 : 126;
    end = { exitCode, reason: `cannot start ${file}: ${spawnError.message}` };
    process.stderr.write(`livelog run: cannot start ${file}: ${spawnError.message}\n`);
    shipper.write({
      msg: `cannot start ${file}: ${spawnError.message}`,
      level: 'error',
      time: Date.now(),
      event: 'exit',
      command,
      code: exitCode,
    });
  } else {
    exitCode = signal === null ? (code ?? failureCode('run')) : 128 + (constants.signals[signal] ?? 0);
    end = endOfExit({ code, signal, ...(signal === null ? {} : { signalNumber: constants.signals[signal] }) });
    shipper.write({
      msg: signal === null ? `exited with code ${code}` : `killed by ${signal}`,
      time: Date.now(),
      level: code === 0 ? 'info' : 'error',
      event: 'exit',
      code,
      signal,
      durationMs,
      lines: { stdout: stdoutLines, stderr: stderrLines },
    });
  }
  // After every line: the stream's readers stop at its end, so nothing may come after it.
  if (flags.end) await target.endStream(end);
  // A command that could not start has nothing to look at: only a run is worth keeping the console for.
  if (target.embedded !== undefined && !flags.exit && spawnError === undefined) {
    await shipper.flush();
    await serveUntilInterrupted(
      `livelog run: ${file} ${signal === null ? `exited with code ${code}` : `was killed by ${signal}`}`,
      target.consoleUrl,
    );
  }
  const report = await target.finish();
  for (const forwarded of FORWARDED) process.off(forwarded, forward);
  if ((report.rejected > 0 || !report.complete) && exitCode === 0 && signal === null) {
    // Refused lines are never stored (an ended stream, a token without the stream), nor are lines
    // no server acknowledged before --flush-timeout (kept in --spool at best, for a later run): a step
    // whose program succeeded must not pass when its log is missing. A program that failed keeps its
    // own code, which says more; what was missing was said on stderr all the same.
    exitCode = failureCode('run');
    const missing =
      report.rejected > 0 ? `${report.rejected} line(s) were refused` : `${report.unacknowledged} line(s) were not acknowledged`;
    process.stderr.write(`livelog run: ${missing}; exiting ${exitCode} although ${file} exited with code 0\n`);
  }
  if (signal !== null) {
    // Die the way the program died, so whoever started livelog sees the signal, not a code.
    process.kill(process.pid, signal);
    // Reached only for a signal whose default action is not to terminate (SIGWINCH, say).
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.exit(exitCode);
}

function sourceName(name: string): string {
  try {
    return checkSource(name);
  } catch {
    return 'run';
  }
}
