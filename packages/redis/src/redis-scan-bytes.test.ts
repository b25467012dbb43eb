import { type NewEntry, type StoredEntry, scanHistogram } from '@livelog/core';
import { bruteHistogram, plainHistogram } from '@livelog/core/contract';
import { waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropStream, REDIS_URL, uniqueKey } from '../test/support/redis-server.js';
import { createRedisStore } from './create-redis-store.js';
import type { RedisStreamStore } from './redis-stream-store.js';

// Scans of the Redis store that read a range step by step size each XRANGE by the bytes of the entries
// read so far (RowPageSize), not by a fixed count: with entries near the line limit (1 MiB) a count of
// 1,000 or 2,000 was one reply of 1-2 GiB.
const T0 = Date.UTC(2026, 11, 8);
const BIG = 300 * 1024;
const TARGET = 4 * 1024 * 1024;
const entries: NewEntry[] = Array.from({ length: 24 }, (_, i) => ({
  time: T0 + i * 1000,
  level: i % 3 === 0 ? 'warn' : 'info',
  source: 'api',
  msg: `big${i} ${'x'.repeat(BIG)}`,
}));
const key = uniqueKey('histogram-bytes');
let store: RedisStreamStore;

beforeAll(async () => {
  store = createRedisStore(`${REDIS_URL}?key=${key}`, { pollMs: 500 });
  await store.open();
  for (let i = 0; i < entries.length; i += 4) await store.append(entries.slice(i, i + 4));
});
afterAll(async () => {
  await store.close();
  await dropStream(key);
});

describe('histogram scan on the Redis store', () => {
  // The histogram scans its range with readAfter (one XRANGE each), which read 2,000 entries per step.
  it('reads entries of 300 KB in steps of about 4 MiB, and still counts every one', async () => {
    const reads: number[] = [];
    const readAfter = store.readAfter.bind(store);
    store.readAfter = async (afterSeq: number, limit: number): Promise<StoredEntry[]> => {
      const rows = await readAfter(afterSeq, limit);
      let units = 0;
      for (const row of rows) units += row.json.length;
      reads.push(units);
      return rows;
    };
    const since = T0 - 5000;
    const until = T0 + 60_000;
    for (const filter of [{}, { level: 'warn' as const }]) {
      reads.length = 0;
      const result = await scanHistogram(store, { since, until, bucketMs: 10_000, filter, maxMs: 60_000 });
      expect(result.partial).toBe(false);
      expect(plainHistogram(result)).toEqual(bruteHistogram(entries, since, until, 10_000, filter));
      // Without the fix: one read of all 24 entries (7.2 MB).
      expect(reads.length).toBeGreaterThanOrEqual(3);
      for (const units of reads) expect(units).toBeLessThanOrEqual(TARGET + BIG + 1024);
    }
  });
});

describe('a follower catching up on the Redis store', () => {
  // The follower reads what other writers (and this handle) appended with XRANGE from its position; those
  // were pageSize = 1,000 entries whatever their size, a 1 GiB reply for a follower 1,000 big entries behind.
  it('reads 24 entries of 300 KB appended at once in steps of about 4 MiB, every entry once in order', async () => {
    const followKey = uniqueKey('follower-bytes');
    const followed = createRedisStore(`${REDIS_URL}?key=${followKey}`, { pollMs: 500 });
    await followed.open();
    try {
      const batches: number[][] = [];
      const stop = followed.onAppend((rows) => batches.push(rows.map((row) => row.seq)));
      await followed.append(entries);
      await waitFor(() => batches.flat().includes(entries.length));
      stop();
      expect(batches.flat()).toEqual(entries.map((_, i) => i + 1));
      // Without the fix: one batch of all 24 (7.2 MB).
      expect(batches.length).toBeGreaterThanOrEqual(3);
      for (const batch of batches) expect(batch.length * (BIG + 100)).toBeLessThanOrEqual(TARGET + BIG + 1024);
    } finally {
      await followed.close();
      await dropStream(followKey);
    }
  });
});
