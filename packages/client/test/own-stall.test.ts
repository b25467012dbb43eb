import { openStream } from '@livelog/client';
import { delay, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { expect, it } from 'vitest';

/** Blocks this process's event loop, as a long GC, a busy page or a SIGSTOP would. */
function stallFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy on purpose
  }
}

it('a stall of the reading process itself does not cut a healthy connection: the heartbeats that waited in the socket count', async () => {
  const dir = await tempDir();
  // The server runs in its own process, so it keeps sending heartbeats while this one is stalled.
  const server = await spawnServer({ dataDir: dir.path, args: ['--heartbeat', '100ms'] });
  const stream = openStream({ url: server.url, backoff: { baseMs: 5, maxMs: 50 } });
  try {
    await waitFor(() => stream.status.state === 'open', { what: 'the stream open' });
    // The watchdog allows 2.5 heartbeats (250 ms) of silence; the stall is three times that.
    for (let round = 0; round < 3; round++) {
      stallFor(800);
      await delay(150);
    }
    expect(stream.stats()).toMatchObject({ attempts: 1, watchdogTimeouts: 0 });
    expect(stream.status.state).toBe('open');
  } finally {
    stream.close();
    await server.kill('SIGTERM');
    await dir.remove();
  }
});
