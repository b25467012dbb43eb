import { ChaosProxy, ResumingReader, waitFor } from '@livelog/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { historySeqs, readyStatus, startInstance } from './support/livelog-instance.js';
import { dropStream, REDIS_URL, TestRedisServer, uniqueKey } from './support/redis-server.js';
import { RetryingWriter } from './support/retrying-writer.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe('Redis lost and back while two livelog processes run', () => {
  it('answers 503 to writers and unready to /readyz meanwhile, loses nothing acknowledged, and readers resume on the same connection', async () => {
    // A Redis of this test's own, with an fsync per write so that kill -9 keeps every acknowledged entry.
    const redis = await TestRedisServer.start({ persistent: true });
    cleanups.push(() => redis.stop());
    const key = uniqueKey('outage');
    const a = await startInstance(redis.url, key, cleanups);
    const b = await startInstance(redis.url, key, cleanups);
    const readers = [a, b].map((instance) =>
      new ResumingReader({ url: `${instance.url}/api/stream?from=start`, pauseMs: () => 5 }).start(),
    );
    cleanups.push(async () => {
      for (const reader of readers) reader.stop();
    });

    let release: (() => void) | undefined;
    let paused: Promise<void> | undefined;
    const writer = new RetryingWriter({
      bases: [a.url, b.url],
      batches: 100,
      batchSize: 200,
      concurrency: 2,
      gate: () => paused ?? Promise.resolve(),
    });
    const writing = writer.run();
    await waitFor(() => writer.acknowledged.length >= 30, { timeoutMs: 30_000, what: '30 batches' });

    // Readers at the head when Redis goes: they hold no store read that could fail.
    paused = new Promise((resolve) => {
      release = resolve;
    });
    await waitFor(() => writer.inFlight === 0, { what: 'batches in flight to finish' });
    const head = Math.max(...writer.acknowledged.map((ack) => ack.lastSeq));
    await waitFor(() => readers.every((reader) => reader.lastSeq === head), { what: 'readers at the head' });

    const beforeOutage = writer.acknowledged.length;
    await redis.kill();
    await waitFor(async () => (await readyStatus(a.url)) === 503 && (await readyStatus(b.url)) === 503, { what: '/readyz to say unready' });
    paused = undefined;
    release?.();
    await waitFor(() => (writer.statuses.get(503) ?? 0) >= 10, { what: 'writers to get 503s' });
    const acknowledgedDuringOutage = writer.acknowledged.length;

    await redis.restart();
    await waitFor(async () => (await readyStatus(a.url)) === 200 && (await readyStatus(b.url)) === 200, {
      timeoutMs: 20_000,
      what: '/readyz to say ready again',
    });
    await writing;
    expect(writer.acknowledged).toHaveLength(100);
    expect(acknowledgedDuringOutage).toBe(beforeOutage);

    const total = 100 * 200;
    await waitFor(() => readers.every((reader) => reader.lastSeq >= total), { timeoutMs: 30_000, what: 'readers to get everything' });
    for (const reader of readers) {
      reader.stop();
      expect(reader.check(total)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
      expect(reader.connections).toBe(1);
    }
    expect(await historySeqs(a.url)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  }, 120_000);

  it('loses nothing when the connections to Redis are cut again and again mid-run', async () => {
    const target = new URL(REDIS_URL);
    const proxy = await ChaosProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    cleanups.push(() => proxy.close());
    const key = uniqueKey('cuts');
    cleanups.push(() => dropStream(key));
    const viaProxy = `redis://127.0.0.1:${proxy.port}`;
    const a = await startInstance(viaProxy, key, cleanups);
    const b = await startInstance(viaProxy, key, cleanups);
    const readers = [a, b].map((instance) =>
      new ResumingReader({ url: `${instance.url}/api/stream?from=start`, pauseMs: () => 5 }).start(),
    );
    cleanups.push(async () => {
      for (const reader of readers) reader.stop();
    });
    const writer = new RetryingWriter({ bases: [a.url, b.url], batches: 150, batchSize: 200, concurrency: 3 });
    let writing = true;
    const done = writer.run().finally(() => {
      writing = false;
    });
    let cuts = 0;
    while (writing) {
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80));
      cuts += proxy.cutAll() > 0 ? 1 : 0;
    }
    await done;
    expect(cuts).toBeGreaterThan(5);
    console.info(
      `redis cuts: ${cuts} cuts, statuses ${JSON.stringify([...writer.statuses])}, ${writer.acknowledged.filter((ack) => ack.replayed).length} replays`,
    );
    const total = 150 * 200;
    await waitFor(() => readers.every((reader) => reader.lastSeq >= total), { timeoutMs: 30_000, what: 'readers to get everything' });
    for (const reader of readers) {
      reader.stop();
      expect(reader.check(total)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
      expect(reader.connections).toBe(1);
    }
    expect(await historySeqs(b.url)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  }, 120_000);

  it('a Redis restarted empty starts a new stream: readers are told reset and get its entries with its ids', async () => {
    // Without persistence, as the machine's own Redis runs: a restart loses everything.
    const redis = await TestRedisServer.start();
    cleanups.push(() => redis.stop());
    const key = uniqueKey('wiped');
    const a = await startInstance(redis.url, key, cleanups);
    const b = await startInstance(redis.url, key, cleanups);
    // As an EventSource does, every reconnect repeats the URL (from=start) with the Last-Event-ID.
    const readers = [a, b].map((instance) =>
      new ResumingReader({ url: `${instance.url}/api/stream?from=start`, pauseMs: () => 5, keepEntries: true }).start(),
    );
    cleanups.push(async () => {
      for (const reader of readers) reader.stop();
    });
    const before = new RetryingWriter({ bases: [a.url, b.url], batches: 10, batchSize: 100 });
    await before.run();
    await waitFor(() => readers.every((reader) => reader.lastSeq === 1000), { what: 'readers to get the first stream' });
    const oldStream = readers[0]?.entries[0]?.id.split(':')[0];

    await redis.kill();
    await redis.restart();
    const after = new RetryingWriter({ bases: [a.url, b.url], batches: 5, batchSize: 100 });
    await after.run();
    await waitFor(() => readers.every((reader) => reader.resets.length > 0 && reader.lastSeq === 500), {
      timeoutMs: 30_000,
      what: 'readers to move to the new stream',
    });
    for (const reader of readers) {
      reader.stop();
      expect(reader.resets.map((reset) => reset.reason)).toEqual(['foreign']);
      expect(reader.mismatchedIds).toBe(0);
      const newIds = reader.entries.slice(1000).map((entry) => entry.id);
      const newStream = newIds[0]?.split(':')[0];
      expect(newStream).not.toBe(oldStream);
      expect(newIds).toEqual(Array.from({ length: 500 }, (_, i) => `${newStream}:${i + 1}`));
    }
  }, 120_000);
});
