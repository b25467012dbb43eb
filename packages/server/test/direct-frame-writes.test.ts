import { ChaosProxy, checkSeqs, delay, openSse, postLogs, ResumingReader, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { describe, expect, it } from 'vitest';

/**
 * Entry frames go to a reader's socket with one writev on its descriptor when nothing waits before
 * the kernel, and what the kernel does not take goes through the socket's queue (NodeSseSink.write).
 * Through the real server: readers whose kernel buffers fill, and readers cut in the middle of a
 * write, still get every seq once and in order.
 */
describe('frames written straight to the socket', () => {
  /** NDJSON of `count` entries of ~1.5 KB: a few thousand fill a reader's kernel buffers (~10 MB on loopback). */
  function bigEntries(from: number, count: number): string {
    const filler = 'z'.repeat(1500);
    let body = '';
    for (let i = 0; i < count; i++) body += `{"msg":"direct ${from + i} ${filler}"}\n`;
    return body;
  }

  it('a reader that stops reading mid-stream, then resumes, gets every seq once, beside one that never stopped', async () => {
    const dir = await tempDir();
    const server = await spawnServer({ dataDir: dir.path, args: ['--log-level', 'warn', '--stall-timeout', '60s'] });
    const readers = [0, 1].map(() => {
      const reader = { seqs: [] as number[], error: undefined as Error | undefined, ended: false };
      const connection = openSse(
        `${server.url}/api/stream?from=start`,
        {},
        {
          onEvent: (message) => {
            if (message.type === 'message') reader.seqs.push((JSON.parse(message.data) as { seq: number }).seq);
          },
          onEnd: (error) => {
            reader.ended = true;
            reader.error = error;
          },
        },
      );
      return { reader, connection };
    });
    const [steady, paused] = readers as [(typeof readers)[0], (typeof readers)[0]];
    const batch = 500;
    const total = 16_000;
    try {
      let sent = 0;
      for (; sent < 2000; sent += batch) expect((await postLogs(server.url, bigEntries(sent, batch))).status).toBe(200);
      await waitFor(() => paused.reader.seqs.length === sent, { what: 'the first entries, live' });
      // ~20 MB more than it reads: its kernel buffers fill, writes come back short, the rest queues.
      paused.connection.pause();
      for (; sent < total; sent += batch) expect((await postLogs(server.url, bigEntries(sent, batch))).status).toBe(200);
      await waitFor(() => steady.reader.seqs.length >= total || steady.reader.ended, { timeoutMs: 30_000, what: 'the steady reader' });
      paused.connection.resume();
      await waitFor(() => paused.reader.seqs.length >= total || paused.reader.ended, { timeoutMs: 30_000, what: 'the paused reader' });
      for (const { reader } of readers) {
        expect(reader.ended, reader.error?.message).toBe(false);
        expect(checkSeqs(reader.seqs, total)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
      }
    } finally {
      for (const { connection } of readers) connection.close();
      await server.kill();
      await dir.remove();
    }
    // Its own bound: starting a server takes up to 45 s on a loaded 2-core machine; the waits above fail a stall.
  }, 120_000);

  it('a reader cut mid-write, again and again, resumes with every seq once', async () => {
    const dir = await tempDir();
    const server = await spawnServer({ dataDir: dir.path, args: ['--log-level', 'warn'] });
    const proxy = await ChaosProxy.start({ port: server.port });
    const reader = new ResumingReader({ url: proxy.url('/api/stream?from=start') }).start();
    try {
      let sent = 0;
      let writing = true;
      const writer = (async () => {
        try {
          while (proxy.cutRecords.filter((cut) => cut.midEvent).length < 20 && sent < 200_000) {
            const size = 1 + Math.floor(Math.random() * 100);
            expect((await postLogs(server.url, bigEntries(sent, size))).status).toBe(200);
            sent += size;
            await delay(Math.random() * 5);
          }
        } finally {
          writing = false;
        }
      })();
      while (writing) {
        await delay(5 + Math.random() * 20);
        // Anywhere in a batch's frames, so inside one writev's bytes or between two.
        proxy.cutAllAfter(1 + Math.floor(Math.random() * 30_000));
      }
      await writer;
      await waitFor(() => reader.lastSeq === sent, { timeoutMs: 30_000, what: `reader at ${sent}` });
      expect(reader.check(sent)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
      expect(reader.gaps).toEqual([]);
      expect(proxy.cutRecords.filter((cut) => cut.midEvent).length).toBeGreaterThanOrEqual(20);
    } finally {
      reader.stop();
      await proxy.close();
      await server.kill();
      await dir.remove();
    }
  }, 120_000);
});
