import {
  ChaosProxy,
  delay,
  ingest,
  ndjson,
  postLogs,
  ResumingReader,
  spawnServer,
  startServer,
  tempDir,
  waitFor,
} from '@livelog/test-utils';
import { describe, expect, it } from 'vitest';

/**
 * The guarantee itself: a reader whose connection is cut at random, hundreds of times, while entries
 * keep arriving in concurrent batches, sees every seq exactly once and in order.
 */
describe('lossless delivery', () => {
  it('survives 250 random cuts (some mid-event) while 100,000 entries arrive in concurrent batches', async () => {
    const dir = await tempDir();
    const server = await spawnServer({ dataDir: dir.path, args: ['--log-level', 'warn', '--ring-entries', '2000'] });
    const proxy = await ChaosProxy.start({ port: server.port });
    const total = 100_000;
    const reader = new ResumingReader({ url: proxy.url('/api/stream?from=start'), pauseMs: () => Math.random() * 25 }).start();
    try {
      let sent = 0;
      const writer = async (): Promise<void> => {
        while (sent < total) {
          const size = Math.min(total - sent, 1 + Math.floor(Math.random() * 400));
          sent += size;
          const reply = await postLogs(server.url, ndjson(size, 'chaos'));
          expect(reply.status).toBe(200);
          // Pace the writers so the run spans enough time for a few hundred cuts.
          await delay(Math.random() * 12);
        }
      };
      const writers = Promise.all([writer(), writer(), writer(), writer()]);
      let cutting = true;
      const cutter = (async () => {
        while (cutting) {
          await delay(5 + Math.random() * 30);
          if (Math.random() < 0.3) proxy.cutAllAfter(Math.floor(Math.random() * 600));
          else proxy.cutAll();
        }
      })();
      await writers;
      await waitFor(() => proxy.cuts >= 250, { timeoutMs: 60_000, what: '250 cuts' });
      cutting = false;
      await cutter;
      await waitFor(() => reader.lastSeq === total, { timeoutMs: 60_000, what: `reader at ${total}` });
      expect(reader.check(total)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
      expect(reader.seqs).toHaveLength(total);
      expect(reader.gaps).toEqual([]);
      expect(reader.resets).toEqual([]);
      // Every cut made the reader reconnect and resume (the last reconnect may still be on its way).
      await waitFor(() => reader.connections > proxy.cuts, { what: 'a reconnect after every cut' });
      console.info(`chaos: ${total} entries, ${proxy.cuts} cuts, ${reader.connections} connections, 0 lost/duplicated/reordered`);
    } finally {
      reader.stop();
      await proxy.close();
      await server.kill();
      await dir.remove();
    }
  });

  // Regression: float timestamps as ids skip the second of two lines sharing a timestamp (`>`).
  it('resumes exactly inside a run of lines that share one millisecond', async () => {
    const server = await startServer();
    const proxy = await ChaosProxy.start({ port: Number(new URL(server.url).port) });
    try {
      const reader = new ResumingReader({ url: proxy.url('/api/stream?from=start') }).start();
      await waitFor(() => reader.hellos.length === 1);
      // The 5,000 frames are about 600 KB: the first connection is cut well inside them.
      proxy.cutAllAfter(200_000);
      const sameMs = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ msg: `tick ${i}`, time: 1_732_780_000_123 })).join('\n');
      await postLogs(server.url, sameMs);
      await waitFor(() => reader.lastSeq === 5000);
      reader.stop();
      expect(reader.check(5000)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
      expect(reader.connections).toBe(2);
    } finally {
      await proxy.close();
      await server.close();
    }
  });

  // Regression: an outage longer than the in-memory deque loses the lines the deque dropped.
  it('catches up from SQLite after an outage longer than the hot ring', async () => {
    const server = await startServer({ ringEntries: '100' });
    try {
      await ingest(server.url, 10);
      const reader = new ResumingReader({ url: `${server.url}/api/stream?from=start`, keepEntries: true }).start();
      await waitFor(() => reader.lastSeq === 10);
      reader.stop();
      for (let i = 0; i < 10; i++) await ingest(server.url, 1000, `outage${i}`);
      const again = new ResumingReader({ url: `${server.url}/api/stream`, headers: { 'last-event-id': reader.lastEventId } }).start();
      await waitFor(() => again.lastSeq === 10_010, { timeoutMs: 20_000 });
      again.stop();
      expect(again.seqs).toEqual(Array.from({ length: 10_000 }, (_, i) => 11 + i));
    } finally {
      await server.close();
    }
  });

  it('resumes polyfills that send the cursor as ?lastEventId= across cuts', async () => {
    const server = await startServer();
    const proxy = await ChaosProxy.start({ port: Number(new URL(server.url).port) });
    const reader = new ResumingReader({ url: proxy.url('/api/stream?from=start'), cursorInQuery: true }).start();
    try {
      for (let i = 0; i < 20; i++) {
        await ingest(server.url, 100);
        proxy.cutAllAfter(Math.floor(Math.random() * 3000));
      }
      await waitFor(() => reader.lastSeq === 2000);
      expect(reader.check(2000)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
    } finally {
      reader.stop();
      await proxy.close();
      await server.close();
    }
  });
});
