import { type EntryFilter, hasHistogram, type NewEntry, readAround, scanHistogram, seekTime } from '@livelog/core';
import { bruteHistogram, plainHistogram } from '@livelog/core/contract';
import type { LevelName } from '@livelog/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropStream, REDIS_URL, uniqueKey } from '../test/support/redis-server.js';
import { createRedisStore } from './create-redis-store.js';
import type { RedisStreamStore } from './redis-stream-store.js';

// Issue 13 on the Redis store: histograms by scanning (no summary), seek and context, on a real Redis,
// against a brute-force count over the same random entries.
const LEVELS: LevelName[] = ['debug', 'info', 'warn', 'error'];
let seed = 99;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const T0 = Date.UTC(2026, 11, 1);
const entries: NewEntry[] = [];
let time = T0;
for (let i = 0; i < 2000; i++) {
  time += Math.floor(random() * 4000);
  entries.push({ time, level: LEVELS[Math.floor(random() * 4)] as LevelName, source: random() < 0.25 ? 'db' : 'api', msg: `e${i}` });
}
const key = uniqueKey('time-nav');
let store: RedisStreamStore;

beforeAll(async () => {
  store = createRedisStore(`${REDIS_URL}?key=${key}`, { pollMs: 500 });
  await store.open();
  for (let i = 0; i < entries.length; i += 500) await store.append(entries.slice(i, i + 500));
});
afterAll(async () => {
  await store.close();
  await dropStream(key);
});

describe('time navigation on the Redis store', () => {
  it('counts histograms by scanning, equal to brute force', async () => {
    expect(hasHistogram(store)).toBe(false);
    const last = (entries[entries.length - 1] as NewEntry).time;
    for (let round = 0; round < 20; round++) {
      const bucketMs = [1000, 60_000, 300_000][round % 3] as number;
      const since = Math.floor((T0 - 30_000 + random() * (last - T0)) / bucketMs) * bucketMs;
      const until = since + bucketMs * (1 + Math.floor(random() * 60));
      const filter: EntryFilter = [{}, { level: 'warn' as LevelName }, { sources: ['db'] }][Math.floor(random() * 3)] as EntryFilter;
      const result = await scanHistogram(store, { since, until, bucketMs, filter, maxMs: 60_000 });
      expect(plainHistogram(result), `${round}`).toEqual(bruteHistogram(entries, since, until, bucketMs, filter));
    }
  });

  it('seeks to the first entry at or after a time and reads context', async () => {
    for (let round = 0; round < 30; round++) {
      const t = T0 - 1000 + Math.floor(random() * ((entries[entries.length - 1] as NewEntry).time - T0 + 5000));
      const expected = entries.findIndex((e) => e.time >= t);
      expect((await seekTime(store, t))?.seq).toBe(expected === -1 ? entries.length : expected + 1);
    }
    const around = await readAround(store, 1000, 4, 4);
    expect(around?.entries.map((row) => row.seq)).toEqual([996, 997, 998, 999, 1000, 1001, 1002, 1003, 1004]);
    expect(await readAround(store, 2001, 4, 4)).toBeUndefined();
  });
});
