import type { LogStore, NewEntry } from '@livelog/core';
import type { EndInfo, HistoryPage } from '@livelog/protocol';
import { getJson, ingest, type SpawnedServer, spawnServer, tempDir } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisDatabase } from '../src/create-redis-store.js';
import type { RedisLogDatabase } from '../src/redis-log-database.js';
import { runHttpIsolation } from './support/http-isolation.js';
import { runIsolation } from './support/isolation.js';
import { TestRedisCluster } from './support/redis-cluster.js';
import { uniqueKey, waitFor } from './support/redis-server.js';

const STREAMS = 30;
const BATCHES = 300;

/** Which node serves each slot, from CLUSTER SLOTS. */
async function slotOwners(cluster: TestRedisCluster): Promise<(slot: number) => number> {
  const slots = await cluster.onNode<[number, number, [string, number, ...unknown[]], ...unknown[]][]>(cluster.ports[0] as number, [
    'CLUSTER',
    'SLOTS',
  ]);
  return (slot) => {
    const range = slots.find(([from, to]) => slot >= from && slot <= to);
    if (range === undefined) throw new Error(`slot ${slot} has no owner`);
    return Number(range[2][1]);
  };
}

describe('on a real 3-shard Redis Cluster', () => {
  let cluster: TestRedisCluster;
  const databases: RedisLogDatabase[] = [];

  beforeAll(async () => {
    cluster = await TestRedisCluster.start(3);
  }, 60_000);

  afterAll(async () => {
    for (const database of databases) await database.close().catch(() => undefined);
    await cluster?.stop();
  });

  async function open(prefix: string): Promise<RedisLogDatabase> {
    const database = createRedisDatabase(cluster.storeUrl(prefix), { pollMs: 300 });
    await database.open();
    databases.push(database);
    return database;
  }

  it('spreads streams over all three shards; every seq reaches each stream reader once, in order, from two processes writing', async () => {
    const prefix = uniqueKey('cluster');
    const writerA = await open(prefix);
    const writerB = await open(prefix);
    const readerSide = await open(prefix);
    const names = Array.from({ length: STREAMS }, (_, i) => `job-${i}`);

    // One reader (listener) per stream, in a third "process".
    const seen = new Map<string, number[]>();
    const foreign: string[] = [];
    const ends = new Map<string, EndInfo>();
    const readers = new Map<string, LogStore>();
    for (const name of names) {
      const store = await readerSide.openStream(name);
      readers.set(name, store);
      seen.set(name, []);
      store.onAppend((entries) => {
        for (const entry of entries) {
          const id = JSON.parse(entry.json).id as string;
          if (id !== `${store.streamId}:${entry.seq}`) foreign.push(`${name} got ${id}`);
          seen.get(name)?.push(entry.seq);
        }
      });
      store.onEnd((end) => ends.set(name, end));
    }

    // Random batches to random streams through two writer processes, 8 at a time.
    const expected = new Map(names.map((name) => [name, 0]));
    const handles = await Promise.all(
      [writerA, writerB].map(
        async (database) => new Map(await Promise.all(names.map(async (name) => [name, await database.openStream(name)] as const))),
      ),
    );
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < BATCHES) {
          const batch = next++;
          const name = names[Math.floor(Math.random() * STREAMS)] as string;
          const size = 1 + Math.floor(Math.random() * 20);
          const entries: NewEntry[] = Array.from({ length: size }, (_, i) => ({
            time: Date.now(),
            level: 'info',
            source: 'w',
            msg: `${batch}.${i}`,
          }));
          const store = handles[batch % 2]?.get(name) as LogStore;
          const result = await store.append(entries, { idempotencyKey: `b${batch}` });
          expect(result.lastSeq - result.firstSeq + 1).toBe(size);
          expected.set(name, (expected.get(name) ?? 0) + size);
        }
      }),
    );
    const first = handles[0] as Map<string, LogStore>;
    await Promise.all(names.map((name) => (first.get(name) as LogStore).end({ exitCode: 0 })));

    await waitFor(() => ends.size === STREAMS, 60_000, 'every stream reader to reach the end');
    for (const name of names) {
      const total = expected.get(name) ?? 0;
      expect(seen.get(name), name).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(await (readers.get(name) as LogStore).bounds()).toEqual({ first: 1, last: total });
    }
    expect(foreign).toEqual([]);

    // Each stream's keys share one slot; the streams' slots lie on all three shards.
    const owner = await slotOwners(cluster);
    const shards = new Map<number, number>();
    for (const name of names) {
      const port = cluster.ports[0] as number;
      const slots = await Promise.all(
        ['meta', 'log', 'sources', 'source-last', 'idem-keys', 'idem-expiry'].map((part) =>
          cluster.onNode<number>(port, ['CLUSTER', 'KEYSLOT', `${prefix}:{${name}}:${part}`]),
        ),
      );
      expect(new Set(slots).size, name).toBe(1);
      const node = owner(Number(slots[0]));
      // The node the slot map names really holds the stream.
      expect(await cluster.onNode<number>(node, ['EXISTS', `${prefix}:{${name}}:log`]), name).toBe(1);
      shards.set(node, (shards.get(node) ?? 0) + 1);
    }
    expect([...shards.keys()].sort()).toEqual([...cluster.ports].sort());

    // The registry (its own slot) lists every stream, ended.
    const listed = await readerSide.list({ limit: 100 });
    expect(listed.streams.map((stream) => stream.name).sort()).toEqual([...names].sort());
    expect(listed.streams.every((stream) => stream.state === 'ended')).toBe(true);
  }, 120_000);

  it('passes the isolation run: 30 streams, 6 writers, readers cut and moved between two engines', async () => {
    const cleanups: (() => Promise<void>)[] = [];
    try {
      const { names } = await runIsolation({
        url: cluster.storeUrl(uniqueKey('cluster-iso')),
        streams: 30,
        writers: 6,
        batchesPerWriter: 30,
        cleanups,
      });
      expect(names).toHaveLength(30);
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    }
  }, 120_000);

  it('serves `livelog serve --store redis+cluster://…` processes: one writes, a reader on the other resumes by id', async () => {
    const prefix = uniqueKey('cluster-serve');
    const servers: SpawnedServer[] = [];
    const dirs: { remove(): Promise<void> }[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const dir = await tempDir('livelog-cluster-serve-');
        dirs.push(dir);
        servers.push(await spawnServer({ dataDir: dir.path, args: ['--store', cluster.storeUrl(prefix)] }));
      }
      const [a, b] = servers as [SpawnedServer, SpawnedServer];
      const first = await ingest(a.url, 5, 'one');
      const second = await ingest(b.url, 5, 'two');
      expect(second.firstId).toBe(`${first.firstId.split(':')[0]}:6`);
      const history = await getJson<HistoryPage>(a.url, `/api/logs?after=${encodeURIComponent(first.lastId)}&limit=100`);
      expect(history.body.entries.map((entry) => entry.msg)).toEqual(['two 1', 'two 2', 'two 3', 'two 4', 'two 5']);
    } finally {
      for (const server of servers) await server.kill('SIGKILL').catch(() => undefined);
      for (const dir of dirs) await dir.remove().catch(() => undefined);
    }
  }, 60_000);

  it('passes the HTTP isolation run: two livelog serve processes on the cluster behind fault proxies', async () => {
    const { entries, cuts } = await runHttpIsolation({
      store: cluster.storeUrl(uniqueKey('cluster-http')),
      streams: 20,
      writers: 6,
      batchesPerWriter: 30,
      cuts: 40,
    });
    console.info(`redis cluster http isolation: ${entries} entries in 20 streams, ${cuts} cuts, every reader exact`);
    expect(entries).toBeGreaterThan(180);
  }, 120_000);

  it('deletes a stream on its shard and tells the other processes', async () => {
    const prefix = uniqueKey('cluster-delete');
    const one = await open(prefix);
    const two = await open(prefix);
    const deleted: string[] = [];
    two.onStreamChange((change) => {
      if (change.type === 'deleted') deleted.push(change.name);
    });
    await (await one.openStream('temp')).append([{ time: 1, level: 'info', source: 's', msg: 'm' }]);
    expect(await one.delete('temp')).toBe(true);
    await waitFor(() => deleted.length === 1, 10_000, 'the deleted change');
    expect(await two.stream('temp')).toBeUndefined();
  }, 60_000);
});
