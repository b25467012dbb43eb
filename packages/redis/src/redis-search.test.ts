import { type NewEntry, scanHistogram } from '@livelog/core';
import { bruteHistogram, describeSearch, plainHistogram, readAllMatches, type StoreUnderTest } from '@livelog/core/contract';
import { LEVEL_NAMES, parseQuery } from '@livelog/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { dropStream, REDIS_URL, uniqueKey } from '../test/support/redis-server.js';
import { createRedisStore } from './create-redis-store.js';
import type { RedisStreamStore } from './redis-stream-store.js';

// Issue 13: the query language's table on the Redis store, which scans XRANGE pages with matchEntry.
// Pages of 1 and 4 make every read resume inside the matches.
describeSearch(
  'redis',
  async (): Promise<StoreUnderTest> => {
    const key = uniqueKey('search');
    return { store: createRedisStore(`${REDIS_URL}?key=${key}`, { pollMs: 500 }), cleanup: () => dropStream(key) };
  },
  { pageSizes: [1, 4, 1000] },
);

describe('search on the Redis store, beyond the table', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function open(): Promise<RedisStreamStore> {
    const key = uniqueKey('search');
    const store = createRedisStore(`${REDIS_URL}?key=${key}`, { pollMs: 500 });
    await store.open();
    cleanups.push(
      () => dropStream(key),
      () => store.close(),
    );
    return store;
  }

  it('finds none of the lines retention removed', async () => {
    const store = await open();
    const lines: NewEntry[] = Array.from({ length: 600 }, (_, i) => ({
      time: 1000 + i,
      level: 'info',
      source: 'api',
      msg: `tok${i + 1}x common`,
    }));
    await store.append(lines);
    while ((await store.prune({ maxEntries: 100 }, 97)) > 0);
    expect(await store.bounds()).toEqual({ first: 501, last: 600 });
    expect(await readAllMatches(store, parseQuery('tok1x OR tok250x OR tok500x OR tok501x'), 'forward', 3)).toEqual([501]);
    expect(await readAllMatches(store, parseQuery('common'), 'backward', 33)).toEqual(Array.from({ length: 100 }, (_, i) => 501 + i));
  });

  it('stops a filtered scan when out of time and resumes it exactly where it stopped (every match once, both ways)', async () => {
    const key = uniqueKey('search');
    // scanMaxMs 0: every filtered read answers after its first XRANGE, the worst case of a busy server.
    // A read's first XRANGE is of 4 entries (their size unknown yet), its later ones of up to 50.
    const store = createRedisStore(`${REDIS_URL}?key=${key}`, { pollMs: 500, pageSize: 50, scanMaxMs: 0 });
    await store.open();
    cleanups.push(
      () => dropStream(key),
      () => store.close(),
    );
    await store.append(
      Array.from({ length: 1000 }, (_, i) => ({ time: 1, level: 'info', source: 'api', msg: i % 97 === 5 ? `rare ${i}` : `ok ${i}` })),
    );
    const expected = Array.from({ length: 1000 }, (_, i) => i)
      .filter((i) => i % 97 === 5)
      .map((i) => i + 1);
    const first = await store.read({ after: 0, limit: 3, filter: { query: parseQuery('rare') } });
    // Planted: without the budget the first read scans on to its 4th match instead of stopping after 4 rows.
    expect(first).toMatchObject({ hasMore: true, resume: 4 });
    expect(first.entries).toEqual([]);
    expect(await readAllMatches(store, parseQuery('rare'), 'forward', 3)).toEqual(expected);
    expect(await readAllMatches(store, parseQuery('rare'), 'backward', 2)).toEqual(expected);
    expect(await readAllMatches(store, parseQuery('nowhere'), 'forward', 5)).toEqual([]);
  });

  it('counts a histogram with q like a brute-force count (the generic scan)', async () => {
    const store = await open();
    let state = 7;
    const next = (n: number) => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state % n;
    };
    let time = 1_764_547_200_000;
    const words = ['timeout', 'reset', 'ok', 'é'];
    const lines: NewEntry[] = Array.from({ length: 2000 }, () => {
      time += next(3000);
      return {
        time,
        level: LEVEL_NAMES[next(6)] as NewEntry['level'],
        source: next(2) === 0 ? 'api' : 'db',
        msg: `${words[next(4)]} ${words[next(4)]}`,
      };
    });
    await store.append(lines);
    const first = (lines[0] as NewEntry).time;
    for (let round = 0; round < 30; round++) {
      const bucketMs = [1000, 5000, 60_000][next(3)] as number;
      const since = first - 10_000 + next(time - first);
      const until = since + bucketMs * (1 + next(100));
      const filter = round % 3 === 0 ? {} : { query: parseQuery(['timeout', 'reset -ok', 'é OR source:db'][next(3)] as string) };
      const result = await scanHistogram(store, { since, until, bucketMs, filter, maxMs: 60_000 });
      expect(plainHistogram(result, true), `round ${round}`).toEqual(bruteHistogram(lines, since, until, bucketMs, filter));
    }
  });
});
