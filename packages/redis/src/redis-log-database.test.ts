import type { NewEntry, StreamChange } from '@livelog/core';
import { describeBroker, describeLogDatabase, describeLogStore, type StoreUnderTest } from '@livelog/core/contract';
import { createClient } from '@redis/client';
import { afterEach, describe, expect, it } from 'vitest';
import { LEGACY_IDENTITY, restoreLegacyFixture } from '../test/support/legacy-fixture.js';
import { dropPrefix, REDIS_URL, uniqueKey, waitFor } from '../test/support/redis-server.js';
import { createRedisDatabase, type RedisDatabaseOptions } from './create-redis-store.js';
import type { RedisLogDatabase } from './redis-log-database.js';

function databaseOf(prefix: string, options: RedisDatabaseOptions = {}): RedisLogDatabase {
  return createRedisDatabase(`${REDIS_URL}?key=${prefix}`, { pollMs: 300, ...options });
}

/** A named stream (not `default`) of a prefix of its own, through a database of its own. */
const namedStream = async (): Promise<StoreUnderTest> => {
  const prefix = uniqueKey('named');
  const databases: RedisLogDatabase[] = [];
  const open = async () => {
    const database = databaseOf(prefix);
    databases.push(database);
    await database.open();
    return database.openStream('job-1');
  };
  return {
    store: await open(),
    reopen: open,
    cleanup: async () => {
      for (const database of databases) await database.close();
      await dropPrefix(prefix);
    },
  };
};

describeLogDatabase(
  'redis',
  async ({ idempotency }) => {
    const prefix = uniqueKey('contract-db');
    const options: RedisDatabaseOptions = {
      ...(idempotency?.ttlMs === undefined ? {} : { idempotencyTtlMs: idempotency.ttlMs }),
      ...(idempotency?.maxKeys === undefined ? {} : { idempotencyMaxKeys: idempotency.maxKeys }),
    };
    const databases: RedisLogDatabase[] = [];
    const make = () => {
      const database = databaseOf(prefix, options);
      databases.push(database);
      return database;
    };
    return {
      database: make(),
      reopen: async () => make(),
      cleanup: async () => {
        for (const database of databases) await database.close();
        await dropPrefix(prefix);
      },
      tie: async (names) => {
        // As one touch of streams written in the same second: one score, above every other.
        const client = createClient({ url: REDIS_URL });
        await client.connect();
        try {
          const key = `{${prefix}}:streams:recent`;
          const top = await client.zRangeWithScores(key, 0, 0, { REV: true });
          const score = (top[0]?.score ?? 0) + 1;
          await client.zAdd(
            key,
            names.map((value) => ({ score, value })),
          );
        } finally {
          await client.quit();
        }
      },
    };
  },
  { persistent: true, ties: true },
);
describeLogStore('redis, a named stream', namedStream, { persistent: true });
describeBroker('redis, a named stream', namedStream);

const T0 = 1_732_780_000_000;
const lines = (count: number, prefix = 'line'): NewEntry[] =>
  Array.from({ length: count }, (_, i) => ({ time: T0 + i, level: 'info', source: 'api', msg: `${prefix} ${i + 1}` }));

describe('RedisLogDatabase', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function prefix(): string {
    const name = uniqueKey('db');
    cleanups.push(() => dropPrefix(name));
    return name;
  }

  async function open(name: string, options: RedisDatabaseOptions = {}): Promise<RedisLogDatabase> {
    const database = databaseOf(name, options);
    await database.open();
    cleanups.push(() => database.close());
    return database;
  }

  async function redis() {
    const client = createClient({ url: REDIS_URL, RESP: 2 });
    client.on('error', () => undefined);
    await client.connect();
    cleanups.push(async () => client.destroy());
    return client;
  }

  it('keeps every key of a stream under <prefix>:{<name>}, and the registry under {<prefix>}', async () => {
    const p = prefix();
    const database = await open(p);
    const store = await database.openStream('build-7');
    await store.append(lines(2), { idempotencyKey: 'k1' });
    const keys: string[] = [];
    for await (const batch of (await redis()).scanIterator({ MATCH: `*${p}*`, COUNT: 1000 })) keys.push(...batch);
    expect(keys.sort()).toEqual(
      [
        `${p}:{build-7}:idem-expiry`,
        `${p}:{build-7}:idem-keys`,
        `${p}:{build-7}:log`,
        `${p}:{build-7}:meta`,
        `${p}:{build-7}:source-last`,
        `${p}:{build-7}:sources`,
        `{${p}}:streams`,
        `{${p}}:streams:identity`,
        `{${p}}:streams:recent`,
      ].sort(),
    );
  });

  it('reads the stream written by the single-stream store of main as `default`, same identity, and goes on from it', async () => {
    const p = prefix();
    await restoreLegacyFixture(p);
    // Opening lists the stream it finds unlisted (the registry did not exist then).
    const database = await open(p);
    const store = await database.stream('default');
    expect(store?.streamId).toBe(LEGACY_IDENTITY);
    if (store === undefined) throw new Error('no default stream');
    expect(await store.bounds()).toEqual({ first: 2, last: 4 });
    const rows = await store.readAfter(0, 10);
    expect(rows.map((row) => row.seq)).toEqual([2, 3, 4]);
    expect(JSON.parse(rows[0]?.json ?? '{}')).toMatchObject({ id: `${LEGACY_IDENTITY}:2`, msg: 'second', source: 'worker 1' });
    expect((await store.sources()).map((source) => [source.name, source.entries, source.lastSeq])).toEqual([
      ['api', 3, 4],
      ['worker 1', 1, 2],
    ]);
    // An idempotency key written before the upgrade is still honoured.
    expect(await store.append(lines(1), { idempotencyKey: 'batch-3', bodyDigest: 'digest-3' })).toEqual({
      firstSeq: 4,
      lastSeq: 4,
      replayed: true,
    });
    expect(await store.append(lines(2))).toEqual({ firstSeq: 5, lastSeq: 6, replayed: false });
    expect(JSON.parse((await store.readAfter(4, 1))[0]?.json ?? '{}').id).toBe(`${LEGACY_IDENTITY}:5`);
    const info = await store.info();
    expect(info).toMatchObject({
      name: 'default',
      identity: LEGACY_IDENTITY,
      first: 2,
      last: 6,
      entries: 5,
      state: 'open',
      firstTime: T0 + 5,
    });
    expect((await database.list({ limit: 10 })).streams.map((stream) => stream.name)).toEqual(['default']);
    expect(await (await redis()).exists(`{${p}}:log`)).toBe(1);
  });

  it('gives each stream its own seq and identity, and ids never cross streams', async () => {
    const database = await open(prefix());
    const a = await database.openStream('a');
    const b = await database.openStream('b');
    await Promise.all([a.append(lines(3)), b.append(lines(2)), a.append(lines(1))]);
    expect(a.streamId).not.toBe(b.streamId);
    expect(await a.bounds()).toEqual({ first: 1, last: 4 });
    expect(await b.bounds()).toEqual({ first: 1, last: 2 });
    for (const rows of [await a.readAfter(0, 10), await b.readAfter(0, 10)]) {
      const identity = JSON.parse(rows[0]?.json ?? '{}').id.split(':')[0];
      expect(rows.every((row) => JSON.parse(row.json).id === `${identity}:${row.seq}`)).toBe(true);
    }
  });

  it('ends a stream atomically: later appends and a second end are refused, and another process learns it', async () => {
    const p = prefix();
    const one = await open(p);
    const two = await open(p);
    const writer = await one.openStream('job');
    await writer.append(lines(3));
    const reader = await two.openStream('job');
    const seen: number[] = [];
    const order: string[] = [];
    reader.onAppend((entries) => seen.push(...entries.map((entry) => entry.seq)));
    reader.onEnd(() => order.push(`end after ${seen.length}`));
    await writer.append(lines(2));
    const end = await writer.end({ exitCode: 3, reason: 'failed' });
    expect(end).toMatchObject({ exitCode: 3, reason: 'failed' });
    await expect(writer.append(lines(1))).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_ENDED', statusCode: 409 });
    await expect(reader.append(lines(1))).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_ENDED' });
    await expect(reader.end()).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_ENDED' });
    await waitFor(() => order.length === 1);
    expect(seen.slice(-2)).toEqual([4, 5]);
    expect(order).toEqual([`end after ${seen.length}`]);
    expect(reader.ended()).toEqual(end);
    expect(await writer.bounds()).toEqual({ first: 1, last: 5 });
    expect(await reader.info()).toMatchObject({ state: 'ended', end, last: 5 });
  });

  it('deletes every key of a stream; its handle then rejects, other processes are told, the name starts again', async () => {
    const p = prefix();
    const one = await open(p);
    const two = await open(p);
    const changes: StreamChange[] = [];
    two.onStreamChange((change) => changes.push(change));
    const store = await one.openStream('gone', { labels: { team: 'ci' } });
    await store.append(lines(3), { idempotencyKey: 'x' });
    await store.end();
    const old = store.streamId;
    await waitFor(() => changes.length === 2, 5000, 'created and ended');
    expect(await one.delete('gone')).toBe(true);
    expect(await one.delete('gone')).toBe(false);
    const client = await redis();
    expect(await client.keys(`${p}:{gone}:*`)).toEqual([]);
    expect((await one.list({ limit: 10 })).streams).toEqual([]);
    await expect(store.append(lines(1))).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_NOT_FOUND' });
    await waitFor(() => changes.length === 3, 5000, 'deleted');
    expect(changes).toEqual([
      { type: 'created', name: 'gone' },
      { type: 'ended', name: 'gone' },
      { type: 'deleted', name: 'gone' },
    ]);
    expect(await two.stream('gone')).toBeUndefined();
    const again = await one.openStream('gone');
    expect(await again.append(lines(1))).toMatchObject({ firstSeq: 1 });
    expect(again.streamId).not.toBe(old);
  });

  it('resets the readers of a stream whose keys were wiped, and only of that stream', async () => {
    const p = prefix();
    const one = await open(p);
    const two = await open(p);
    const wiped = await one.openStream('wiped');
    const kept = await one.openStream('kept');
    await wiped.append(lines(2));
    await kept.append(lines(2));
    const changes: string[] = [];
    wiped.onIdentityChange((identity) => changes.push(`wiped ${identity}`));
    kept.onIdentityChange((identity) => changes.push(`kept ${identity}`));
    const seen: string[] = [];
    wiped.onAppend((entries) => seen.push(...entries.map((entry) => JSON.parse(entry.json).id)));
    kept.onAppend(() => undefined);
    const client = await redis();
    await client.del(await client.keys(`${p}:{wiped}:*`));
    // Another process writes the stream again: the hint carries the new identity.
    const again = await (await two.openStream('wiped')).append(lines(1));
    expect(again.firstSeq).toBe(1);
    await waitFor(() => changes.length === 1 && seen.length === 1, 5000, 'the identity change');
    expect(changes).toEqual([`wiped ${wiped.streamId}`]);
    expect(seen).toEqual([`${wiped.streamId}:1`]);
  });

  it('costs nothing for streams nobody reads: no subscription until a listener, none after it', async () => {
    const p = prefix();
    const database = await open(p);
    const stores = await Promise.all(Array.from({ length: 50 }, (_, i) => database.openStream(`idle-${i}`)));
    await Promise.all(stores.map((store) => store.append(lines(2))));
    const client = await redis();
    const channels = async () => (await client.sendCommand<string[]>(['PUBSUB', 'CHANNELS', `${p}:*`])).sort();
    expect(await channels()).toEqual([]);
    const stop = stores[7]?.onAppend(() => undefined);
    await waitFor(async () => (await channels()).length === 1);
    expect(await channels()).toEqual([`${p}:{idle-7}:hints`]);
    stop?.();
    await waitFor(async () => (await channels()).length === 0);
  });

  it('lists a stream whose registry step was lost (a crash between the two) on the next write or open', async () => {
    const p = prefix();
    const database = await open(p);
    const store = await database.openStream('late');
    await store.append(lines(1));
    const client = await redis();
    const unlist = async () => {
      await client.zRem(`{${p}}:streams`, 'late');
      await client.hDel(`{${p}}:streams:identity`, 'late');
      await client.hDel(`${p}:{late}:meta`, 'listed');
    };
    await unlist();
    expect((await database.list({ limit: 10 })).streams).toEqual([]);
    await store.append(lines(1));
    expect((await database.list({ limit: 10 })).streams.map((stream) => stream.name)).toEqual(['late']);
    await unlist();
    const other = await open(p);
    expect((await other.list({ limit: 10 })).streams.map((stream) => stream.name)).toEqual(['late']);
  });

  it('skips, then unlists, a stream whose keys were wiped by hand', async () => {
    const p = prefix();
    const database = await open(p);
    await (await database.openStream('wiped')).append(lines(1));
    await (await database.openStream('kept')).append(lines(1));
    const client = await redis();
    await client.del(await client.keys(`${p}:{wiped}:*`));
    const names = async () => (await database.list({ limit: 10 })).streams.map((stream) => stream.name);
    expect(await names()).toEqual(['kept']);
    await waitFor(async () => (await client.zRange(`{${p}}:streams`, 0, -1)).length === 1, 5000, 'the name to be unlisted');
    expect(await client.zRange(`{${p}}:streams`, 0, -1)).toEqual(['kept']);
  });

  it('lists by name with prefix, labels and keyset pages, and by recent activity', async () => {
    const p = prefix();
    const database = await open(p);
    for (const name of ['ci-3', 'ci-1', 'api', 'ci-2', 'ci-10']) {
      const store = await database.openStream(name, { labels: { kind: name.startsWith('ci') ? 'job' : 'service' } });
      await store.append(lines(1));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const names = (page: { streams: { name: string }[] }) => page.streams.map((stream) => stream.name);
    const first = await database.list({ prefix: 'ci-', limit: 2 });
    expect(names(first)).toEqual(['ci-1', 'ci-10']);
    const second = await database.list({ prefix: 'ci-', limit: 2, ...(first.next ? { after: first.next } : {}) });
    expect(names(second)).toEqual(['ci-2', 'ci-3']);
    expect(second.next).toBeUndefined();
    expect(names(await database.list({ labels: { kind: 'service' }, limit: 10 }))).toEqual(['api']);
    await waitFor(async () => names(await database.list({ order: 'recent', limit: 10 }))[0] === 'ci-10', 5000, 'recent scores');
    const recent = await database.list({ order: 'recent', limit: 3 });
    expect(names(recent)).toEqual(['ci-10', 'ci-2', 'api']);
    expect(names(await database.list({ order: 'recent', limit: 3, ...(recent.next ? { after: recent.next } : {}) }))).toEqual([
      'ci-1',
      'ci-3',
    ]);
    await expect(database.list({ limit: 1, after: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({ code: 'LIVELOG_ERR_QUERY_BAD_PARAM' });
  });

  it('prunes every stream by the defaults and a stream by its own retention', async () => {
    const p = prefix();
    const database = await open(p, { pruneStreamsPerCall: 2 });
    const stores = await Promise.all(['p1', 'p2', 'p3'].map((name) => database.openStream(name)));
    await Promise.all(stores.map((store) => store.append(lines(10))));
    await database.setStream('p2', { retention: { maxEntries: 2 } });
    // Defaults keep everything: only p2, which has its own limit, is pruned.
    expect(await database.prune({}, 100)).toBe(8);
    expect((await Promise.all(stores.map((store) => store.bounds()))).map((bounds) => bounds.first)).toEqual([1, 9, 1]);
    // Defaults of 5 entries: two streams per call, round-robin.
    let removed = 0;
    for (let i = 0; i < 4; i++) removed += await database.prune({ maxEntries: 5 }, 100);
    expect(removed).toBe(10);
    expect((await Promise.all(stores.map((store) => store.bounds()))).map((bounds) => bounds.first)).toEqual([6, 9, 6]);
  });

  it('bounds idempotency keys per stream: the nearest to expiring go first', async () => {
    const database = await open(prefix(), { idempotencyMaxKeys: 3 });
    const store = await database.openStream('keys');
    for (let i = 1; i <= 5; i++) await store.append(lines(1), { idempotencyKey: `k${i}`, bodyDigest: 'd' });
    expect(await store.append(lines(1), { idempotencyKey: 'k5', bodyDigest: 'd' })).toMatchObject({ replayed: true, firstSeq: 5 });
    expect(await store.append(lines(1), { idempotencyKey: 'k1', bodyDigest: 'd' })).toMatchObject({ replayed: false, firstSeq: 6 });
    expect(await (await redis()).hLen(store.keys.idemKeys)).toBe(3);
  });

  it('refuses bad names with LIVELOG_ERR_STREAM_BAD_NAME and knows no stream before its first write', async () => {
    const database = await open(prefix());
    await expect(database.openStream('Bad Name')).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_BAD_NAME' });
    await expect(database.openStream('a}b')).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_BAD_NAME' });
    expect(await database.stream('Bad Name')).toBeUndefined();
    const store = await database.openStream('later');
    expect(await database.stream('later')).toBeUndefined();
    await expect(store.info()).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_NOT_FOUND' });
    await store.append(lines(1));
    expect(await database.stream('later')).toBe(store);
  });
});
