import { spawn } from 'node:child_process';
import { fstatSync } from 'node:fs';

/**
 * Calls `onClosed` once the reader of stdout is gone (`livelog tail | head -1` after head exits), while
 * nothing is being written; returns a function that stops watching.
 *
 * Node learns of a closed pipe only from a write that fails with EPIPE, so a tail that waits for the
 * next entry would stay until one came, perhaps never. Node cannot poll a pipe's write end for the
 * error that says its reader left, and GNU tail can: `tail -f --pid=<this process> /dev/null` with
 * our stdout as its own writes nothing, dies of SIGPIPE about a second after the reader closes, and
 * by `--pid` ends by itself within a second when this process dies, even of SIGKILL, so it never
 * holds the pipe open after us. Where there is no GNU tail (macOS, busybox) it fails or exits
 * otherwise and nothing changes: the next write's EPIPE ends the run, as before. Only for a pipe:
 * a terminal or a file has no reader to lose.
 */
export function watchStdoutClosed(onClosed: () => void): () => void {
  let isPipe = false;
  try {
    isPipe = fstatSync(1).isFIFO();
  } catch {
    return () => undefined;
  }
  if (!isPipe) return () => undefined;
  let stopped = false;
  const child = spawn('tail', ['-f', `--pid=${process.pid}`, '/dev/null'], { stdio: ['ignore', 'inherit', 'ignore'] });
  child.on('error', () => undefined);
  child.on('exit', (_code, signal) => {
    if (!stopped && signal === 'SIGPIPE') onClosed();
  });
  // The watcher must not keep this process alive, nor outlive it on a normal exit.
  child.unref();
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    process.off('exit', stop);
    if (child.exitCode === null && child.signalCode === null) child.kill();
  };
  process.on('exit', stop);
  return stop;
}
