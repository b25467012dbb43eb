import { encodeEntry, type NewEntry, type StoredEntry } from '@livelog/core';
import { describeBroker, describeLogStore, describePageBytes, type StoreUnderTest } from '@livelog/core/contract';
import { parseQuery } from '@livelog/protocol';
import { createClient } from '@redis/client';
import { afterEach, describe, expect, it } from 'vitest';
import { dropStream, REDIS_URL, TestRedisServer, uniqueKey, waitFor } from '../test/support/redis-server.js';
import { createRedisStore, type RedisDatabaseOptions } from './create-redis-store.js';
import type { RedisStreamStore } from './redis-stream-store.js';

/** The `default` stream of a prefix of its own, as one store (the single-stream API). */
function storeOf(key: string, options: RedisDatabaseOptions & { url?: string } = {}): RedisStreamStore {
  const { url = REDIS_URL, ...rest } = options;
  return createRedisStore(`${url}?key=${key}`, { pollMs: 500, ...rest });
}

const redisStore = async (): Promise<StoreUnderTest> => {
  const key = uniqueKey('contract');
  return {
    store: storeOf(key),
    reopen: async () => storeOf(key),
    cleanup: () => dropStream(key),
  };
};

describeLogStore('redis', redisStore, { persistent: true });
describePageBytes('redis', redisStore);
describeBroker('redis', redisStore);

const T0 = 1_732_780_000_000;

function line(msg: string, extra: Partial<NewEntry> = {}): NewEntry {
  return { time: T0, level: 'info', source: 'api', msg, ...extra };
}

function lines(count: number, prefix = 'line'): NewEntry[] {
  return Array.from({ length: count }, (_, i) => line(`${prefix} ${i + 1}`));
}

describe('RedisStreamStore', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function openStore(options: RedisDatabaseOptions & { key: string; url?: string }): Promise<RedisStreamStore> {
    const { key, ...rest } = options;
    const store = storeOf(key, rest);
    await store.open();
    cleanups.push(() => store.close());
    return store;
  }

  function sharedKey(): string {
    const key = uniqueKey();
    cleanups.push(() => dropStream(key));
    return key;
  }

  async function redis(url = REDIS_URL) {
    const client = createClient({ url });
    client.on('error', () => undefined);
    await client.connect();
    cleanups.push(async () => client.destroy());
    return client;
  }

  it('stores each entry as exactly the JSON encodeEntry gives, as the other stores do', async () => {
    const store = await openStore({ key: sharedKey() });
    const entries: NewEntry[] = [
      line('plain'),
      line('quote " backslash \\ slash / \u0000 \u001b[1m 🦊 \u2028', { level: 'fatal', source: 'a:b' }),
      line('fields', { fields: { nested: { list: [1, 'two', null] }, 'odd key"': true } }),
      line('\ufffd', { invalidUtf8: true, part: { index: 1, count: 2 }, time: -5 }),
      line('fractional time', { time: 1.5 }),
    ];
    await store.append(entries);
    const rows = await store.readAfter(0, 10);
    expect(rows.map((row) => row.json)).toEqual(entries.map((entry, i) => encodeEntry(store.streamId, i + 1, entry)));
  });

  it('gives every process the same positions and feeds each listener every entry once, in order', async () => {
    const key = sharedKey();
    const a = await openStore({ key });
    const b = await openStore({ key });
    const seenA: number[] = [];
    const seenB: number[] = [];
    a.onAppend((entries) => seenA.push(...entries.map((entry) => entry.seq)));
    b.onAppend((entries) => seenB.push(...entries.map((entry) => entry.seq)));
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).append(Array.from({ length: 10 }, (_, j) => line(`${i}.${j}`)))),
    );
    const expected = Array.from({ length: 600 }, (_, i) => i + 1);
    // The stream is created by the first write, whichever process makes it: both hold its identity.
    expect(b.streamId).toBe(a.streamId);
    expect(results.map((result) => result.firstSeq).sort((x, y) => x - y)).toEqual(expected.filter((seq) => seq % 10 === 1));
    await waitFor(() => seenA.length >= 600 && seenB.length >= 600);
    expect(seenA).toEqual(expected);
    expect(seenB).toEqual(expected);
  });

  it('appends a large batch in one piece', async () => {
    const store = await openStore({ key: sharedKey() });
    const result = await store.append(lines(20_000));
    expect(result).toEqual({ firstSeq: 1, lastSeq: 20_000, replayed: false });
    const page = await store.readAfter(19_990, 100);
    expect(page.map((row) => row.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 19_991 + i));
  });

  it('keeps working after Redis forgets its scripts (NOSCRIPT)', async () => {
    const store = await openStore({ key: sharedKey() });
    await store.append(lines(2));
    const client = await redis();
    await client.scriptFlush();
    expect(await store.append(lines(1))).toMatchObject({ firstSeq: 3 });
    expect(await store.bounds()).toEqual({ first: 1, last: 3 });
  });

  it('finds the start for a time when producers disagree on the clock', async () => {
    const store = await openStore({ key: sharedKey() });
    await store.append([
      line('1', { time: T0 + 100 }),
      line('2', { time: T0 + 50 }),
      line('3', { time: T0 + 300 }),
      line('4', { time: T0 + 200 }),
      line('5', { time: T0 + 400 }),
    ]);
    expect(await store.seqBeforeTime(T0)).toBe(0);
    expect(await store.seqBeforeTime(T0 + 100)).toBe(0);
    expect(await store.seqBeforeTime(T0 + 101)).toBe(2);
    expect(await store.seqBeforeTime(T0 + 250)).toBe(2);
    expect(await store.seqBeforeTime(T0 + 301)).toBe(4);
    expect(await store.seqBeforeTime(T0 + 401)).toBe(5);
  });

  it('scans filtered history across many pages in both directions', async () => {
    const store = await openStore({ key: sharedKey(), pageSize: 100 });
    const entries = Array.from({ length: 2500 }, (_, i) => line(`n${i + 1}`, { level: (i + 1) % 500 === 0 ? 'error' : 'info' }));
    await store.append(entries);
    const seqs = (page: { entries: StoredEntry[] }) => page.entries.map((entry) => entry.seq);
    const errors = await store.read({ limit: 3, filter: { level: 'error' } });
    expect(seqs(errors)).toEqual([500, 1000, 1500]);
    expect(errors.hasMore).toBe(true);
    const newest = await store.read({ limit: 2, direction: 'backward', filter: { level: 'error' } });
    expect(seqs(newest)).toEqual([2000, 2500]);
    expect(newest.hasMore).toBe(true);
    const text = await store.read({ limit: 10, after: 1, before: 2400, filter: { query: parseQuery('N2399') } });
    expect(seqs(text)).toEqual([2399]);
    expect(text.hasMore).toBe(false);
  });

  it('filters on sources that hold spaces and colons', async () => {
    const store = await openStore({ key: sharedKey() });
    await store.append([
      line('1', { source: 'my app: web 1' }),
      line('2', { source: 'my app: web 1', level: 'warn' }),
      line('3', { source: 'my app' }),
    ]);
    const page = await store.read({ limit: 10, filter: { sources: ['my app: web 1'], level: 'warn' } });
    expect(page.entries.map((entry) => entry.seq)).toEqual([2]);
    expect((await store.sources()).map((source) => source.name)).toEqual(['my app', 'my app: web 1']);
  });

  it('starts a new identity when the keys are wiped, and says so', async () => {
    const key = sharedKey();
    const store = await openStore({ key });
    const other = await openStore({ key });
    const changes: string[] = [];
    store.onIdentityChange((stream) => changes.push(stream));
    const seen: string[] = [];
    store.onAppend((entries) => seen.push(...entries.map((entry) => entry.json)));
    await store.append(lines(5));
    await waitFor(() => seen.length === 5);
    const before = store.streamId;
    await dropStream(key);
    // Another process appends first: this store learns of the new stream from its XREAD loop.
    await other.append(lines(2, 'new'));
    await waitFor(() => changes.length === 1 && seen.length === 7);
    expect(store.streamId).not.toBe(before);
    expect(other.streamId).toBe(store.streamId);
    expect(changes).toEqual([store.streamId]);
    expect(seen.slice(5).map((json) => JSON.parse(json).id)).toEqual([`${store.streamId}:1`, `${store.streamId}:2`]);
    expect(await store.bounds()).toEqual({ first: 1, last: 2 });
    // An idempotency key of the old stream names nothing in the new one.
    expect(await store.append(lines(1), { idempotencyKey: 'k', bodyDigest: 'a' })).toMatchObject({ firstSeq: 3, replayed: false });
  });

  it('remembers an idempotency key for 24 hours, for every process', async () => {
    const key = sharedKey();
    const a = await openStore({ key });
    const b = await openStore({ key });
    const first = await a.append(lines(2), { idempotencyKey: 'retry-me', bodyDigest: 'd' });
    expect(await b.append(lines(2), { idempotencyKey: 'retry-me', bodyDigest: 'd' })).toEqual({ ...first, replayed: true });
    const expires = Number(await (await redis()).zScore(a.keys.idemExpiry, 'retry-me')) - Date.now();
    expect(expires).toBeGreaterThan(24 * 3600_000 - 60_000);
    expect(expires).toBeLessThanOrEqual(24 * 3600_000 + 1000);
  });

  it('prunes by bytes with one running total that every process shares', async () => {
    const key = sharedKey();
    const a = await openStore({ key });
    const b = await openStore({ key });
    await a.append(Array.from({ length: 10 }, () => line('x'.repeat(1000))));
    await b.append(Array.from({ length: 10 }, () => line('y'.repeat(1000))));
    const newest = (await a.readAfter(15, 5)).reduce((sum, row) => sum + Buffer.byteLength(row.json), 0);
    expect(await b.prune({ maxBytes: newest }, 100)).toBe(15);
    expect(await a.bounds()).toEqual({ first: 16, last: 20 });
    expect(await a.prune({ maxBytes: newest }, 100)).toBe(0);
    expect(await (await redis()).hGet(a.keys.meta, 'bytes')).toBe(String(newest));
  });

  it('finishes pending appends before it closes', async () => {
    const store = storeOf(sharedKey());
    await store.open();
    const pending = Array.from({ length: 20 }, () => store.append(lines(50)));
    await store.close();
    const results = await Promise.all(pending);
    expect(Math.max(...results.map((result) => result.lastSeq))).toBe(1000);
    await expect(store.append(lines(1))).rejects.toMatchObject({ code: 'LIVELOG_ERR_STORE_CLOSED' });
  });

  it('closes at once while Redis is unreachable', async () => {
    const server = await TestRedisServer.start();
    cleanups.push(() => server.stop());
    const store = storeOf(uniqueKey(), { url: server.url });
    await store.open();
    await server.kill();
    const pending = store.append(lines(1)).catch((error: unknown) => error);
    const started = Date.now();
    await store.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await pending).toMatchObject({ code: 'LIVELOG_ERR_STORE_UNAVAILABLE' });
  });

  it('fails to open with LIVELOG_ERR_STORE_UNAVAILABLE when Redis cannot be reached', async () => {
    const store = storeOf('unreachable', { url: 'redis://127.0.0.1:1', connectTimeoutMs: 300 });
    await expect(store.open()).rejects.toMatchObject({ code: 'LIVELOG_ERR_STORE_UNAVAILABLE' });
    await store.close();
  });

  it('rejects appends while Redis is down, then resumes with nothing lost or repeated', async () => {
    const server = await TestRedisServer.start({ persistent: true });
    cleanups.push(() => server.stop());
    const key = uniqueKey();
    const store = await openStore({ url: server.url, key, commandTimeoutMs: 2000, readRetryMs: 300 });
    const seen: number[] = [];
    store.onAppend((entries) => seen.push(...entries.map((entry) => entry.seq)));
    await store.append(lines(3));
    await waitFor(() => seen.length === 3);
    expect(await store.isReady()).toBe(true);

    await server.kill();
    await expect(store.append(lines(1))).rejects.toMatchObject({ code: 'LIVELOG_ERR_STORE_UNAVAILABLE', statusCode: 503 });
    expect(await store.isReady()).toBe(false);
    await expect(store.readAfter(0, 10)).rejects.toMatchObject({ code: 'LIVELOG_ERR_STORE_UNAVAILABLE' });

    await server.restart();
    // Another client writes first: the XREAD loop must pick these up too when it is back.
    const client = await redis(server.url);
    const writer = await openStore({ url: server.url, key });
    await writer.append(lines(2, 'other'));
    await waitFor(() => store.isReady(), 15_000, 'store ready again');
    await expect(store.append(lines(2))).resolves.toMatchObject({ firstSeq: 6, lastSeq: 7 });
    await waitFor(() => seen.length >= 7, 15_000, 'listener caught up');
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await client.xLen(store.keys.log)).toBe(7);
  });
});
