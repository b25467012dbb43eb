import {
  ChaosProxy,
  type CutRecord,
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
  // Regression (issue 11): most of the old test's 250 cuts could hit an idle, caught-up reader, and
  // nothing counted them. The proxy now reports, per cut, whether bytes were in flight and whether it
  // split an event; cuts are counted only while the writers run, and both counts are asserted.
  it('survives 200+ cuts while entries flow, 30%+ of them mid-event, with every seq once and in order', async () => {
    const dir = await tempDir();
    const server = await spawnServer({ dataDir: dir.path, args: ['--log-level', 'warn', '--ring-entries', '2000'] });
    const proxy = await ChaosProxy.start({ port: server.port });
    const minTotal = 60_000;
    const maxTotal = 1_200_000;
    const wantedCuts = 220;
    const reader = new ResumingReader({ url: proxy.url('/api/stream?from=start'), pauseMs: () => Math.random() * 25 }).start();
    // Cuts made while bytes flow, from the proxy's own records.
    const underLoad = () => proxy.cutRecords.filter((cut) => cut.inFlight);
    try {
      let sent = 0;
      const writer = async (): Promise<void> => {
        while (sent < maxTotal && (sent < minTotal || underLoad().length < wantedCuts)) {
          const size = 1 + Math.floor(Math.random() * 400);
          sent += size;
          const reply = await postLogs(server.url, ndjson(size, 'chaos'));
          expect(reply.status).toBe(200);
          // Pace the writers so the run spans enough time for a few hundred cuts.
          await delay(Math.random() * 12);
        }
      };
      let writing = true;
      let cuts: CutRecord[] = [];
      const writers = Promise.all([writer(), writer(), writer(), writer()]).finally(() => {
        writing = false;
        cuts = underLoad();
      });
      const cutter = (async () => {
        while (writing) {
          await delay(5 + Math.random() * 30);
          // Mostly "after N bytes": those land inside an event whenever bytes flow.
          if (Math.random() < 0.75) proxy.cutAllAfter(1 + Math.floor(Math.random() * 600));
          else proxy.cutAll();
        }
      })();
      await writers;
      await cutter;
      // Only cuts made while the writers ran count (taken when they finished).
      const midEvent = cuts.filter((cut) => cut.midEvent).length;
      const total = sent;
      await waitFor(() => reader.lastSeq === total, { timeoutMs: 60_000, what: `reader at ${total}` });
      expect(reader.check(total)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
      expect(reader.seqs).toHaveLength(total);
      expect(reader.gaps).toEqual([]);
      expect(reader.resets).toEqual([]);
      expect(cuts.length).toBeGreaterThanOrEqual(200);
      expect(midEvent / cuts.length).toBeGreaterThanOrEqual(0.3);
      // Every cut made the reader reconnect and resume (the last reconnect may still be on its way).
      await waitFor(() => reader.connections > proxy.cuts, { what: 'a reconnect after every cut' });
      console.info(
        `chaos: ${total} entries, ${proxy.cuts} cuts, ${cuts.length} while bytes flowed, ${midEvent} mid-event, ` +
          `${reader.connections} connections, 0 lost/duplicated/reordered`,
      );
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
