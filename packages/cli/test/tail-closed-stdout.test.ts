import { spawn } from 'node:child_process';
import { cliPath, ingest, startServer, waitFor } from '@livelog/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * Regression: `livelog tail URL | head -1` stayed after head had exited, until the next entry came
 * (its write failed with EPIPE) — with a quiet stream, for good. Run here through a real shell
 * pipeline (a pipe, as a shell makes it; Node's own 'pipe' stdio is a socket pair), and no entry is
 * written after head's line: the shell returns only once both sides are gone.
 */
describe('livelog tail | head -1', () => {
  it('exits once head has its line, with no further entry to write', async () => {
    // The default heartbeat (15 s): nothing here needs one, and with 100 ms a loaded machine that
    // stalled this process (the server's) for 250 ms tripped tail's watchdog during the second tail
    // takes to see the closed pipe, and "connection lost" went to stderr.
    const server = await startServer();
    cleanups.push(() => server.close());
    await ingest(server.url, 3, 'quiet');
    let exit: { code: number | null } | undefined;
    const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;
    const pipeline = `${quote(process.execPath)} ${quote(cliPath())} tail ${quote(server.url)} -n all -o raw | head -1`;
    // A process group of its own, so that a failure ends the whole pipeline, not the shell alone.
    const shell = spawn('sh', ['-c', pipeline], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    cleanups.push(() => {
      if (exit === undefined && shell.pid !== undefined) process.kill(-shell.pid, 'SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    shell.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    shell.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    shell.once('exit', (code) => {
      exit = { code };
    });
    await waitFor(() => stdout.includes('\n'), { what: 'head to print its line' });
    await waitFor(() => exit !== undefined, { timeoutMs: 20_000, what: 'tail to exit after head closed the pipe' });
    expect(stdout).toBe('quiet 1\n');
    expect(exit).toEqual({ code: 0 });
    expect(stderr).toBe('');
  });
});
