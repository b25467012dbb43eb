import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatId } from '@livelog/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingSink } from '../broker/recording-sink.js';
import type { NewEntry } from '../entry/new-entry.js';
import { MemoryDatabase } from '../store/memory-database.js';
import { SqliteDatabase } from '../store/sqlite-database.js';
import { createEngine, type LivelogEngine } from './create-engine.js';

const lines = (count: number, prefix = 'm'): NewEntry[] =>
  Array.from({ length: count }, (_, i) => ({ time: 1, level: 'info', source: 's', msg: `${prefix}${i + 1}` }));

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('an engine over many streams', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function sqliteEngine(options: { brokerIdleMs?: number; retention?: { maxEntries?: number } } = {}): Promise<LivelogEngine> {
    const dir = await mkdtemp(join(tmpdir(), 'livelog-engine-streams-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const engine = await createEngine({ database: new SqliteDatabase({ dir }), pruneIntervalMs: 60_000, ...options });
    cleanup.push(() => engine.stop());
    return engine;
  }

  it('keeps default as engine.store and engine.broker, and makes it exist from the start', async () => {
    const engine = await sqliteEngine();
    expect(engine.store.name).toBe('default');
    expect(engine.broker.store).toBe(engine.store);
    expect((await engine.database.list({ limit: 10 })).streams.map((info) => info.name)).toEqual(['default']);
    expect(await engine.streamInfo('default')).toMatchObject({ name: 'default', readers: 0, last: 0 });
  });

  it('has no broker for streams nobody reads, makes one per read stream, and releases it when idle', async () => {
    const engine = await sqliteEngine({ brokerIdleMs: 100 });
    const stores = await Promise.all(Array.from({ length: 1000 }, (_, i) => engine.database.openStream(`job-${i}`)));
    await Promise.all(stores.map((store) => store.append(lines(2, store.name))));
    expect(engine.brokers).toBe(1);
    const lease = await engine.acquireBroker('job-7');
    const again = await engine.acquireBroker('job-7');
    expect(again.broker).toBe(lease.broker);
    expect(engine.brokers).toBe(2);
    const sink = new RecordingSink();
    await lease.broker.subscribe(sink, { start: { fromStart: true } });
    await until(() => sink.seqs().length === 2, 'the replay');
    expect(sink.entries().map((entry) => entry.msg)).toEqual(['job-71', 'job-72']);
    expect(engine.readers('job-7')).toBe(1);
    lease.release();
    again.release();
    lease.release();
    // Held by its reader: it stays however long that reads.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(engine.brokers).toBe(2);
    expect(engine.stats()).toMatchObject({ readers: 1, connects: 1, delivered: 2 });
    sink.destroy();
    await until(() => engine.brokers === 1, 'the idle broker to go');
    expect(engine.readers('job-7')).toBe(0);
    // Counters outlive the broker that counted them.
    expect(engine.stats()).toMatchObject({ readers: 0, connects: 1, delivered: 2 });
  });

  it('refuses a broker for an unknown stream, and opens one that the first write creates', async () => {
    const engine = await sqliteEngine();
    await expect(engine.acquireBroker('nope')).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_NOT_FOUND' });
    const lease = await engine.openBroker('later');
    expect(await engine.database.stream('later')).toBeUndefined();
    const sink = new RecordingSink();
    await lease.broker.subscribe(sink);
    await (await engine.database.openStream('later')).append(lines(3));
    await until(() => sink.seqs().length === 3, 'live entries');
    expect(sink.seqs()).toEqual([1, 2, 3]);
    sink.destroy();
    lease.release();
  });

  it('closes the readers of a deleted stream with reset and close deleted, and of an ended one with end', async () => {
    const engine = await sqliteEngine();
    const doomed = await engine.database.openStream('doomed');
    const job = await engine.database.openStream('job');
    await doomed.append(lines(3));
    await job.append(lines(3));
    const doomedLease = await engine.acquireBroker('doomed');
    const jobLease = await engine.acquireBroker('job');
    const doomedSink = new RecordingSink();
    const jobSink = new RecordingSink();
    await doomedLease.broker.subscribe(doomedSink, { start: { fromStart: true } });
    await jobLease.broker.subscribe(jobSink, { start: { fromStart: true } });
    // Catch-up pages come from the store's reader thread: the reader has its entries before the delete.
    await until(() => doomedSink.seqs().length === 3, 'the doomed stream’s entries');
    await engine.database.delete('doomed');
    await until(() => doomedSink.closed, 'the deleted stream’s reader to close');
    expect(doomedSink.seqs()).toEqual([1, 2, 3]);
    expect(doomedSink.events('reset')).toEqual([{ reason: 'deleted', stream: doomed.streamId }]);
    expect(doomedSink.events('close')).toEqual([{ reason: 'deleted', retryable: false }]);
    await job.append(lines(2, 'last'));
    const end = await job.end({ exitCode: 0 });
    await until(() => jobSink.closed, 'the ended stream’s reader to close');
    expect(jobSink.seqs()).toEqual([1, 2, 3, 4, 5]);
    expect(jobSink.events('end')).toEqual([{ lastId: formatId(job.streamId, 5), ...end }]);
    doomedLease.release();
    jobLease.release();
    await expect(engine.acquireBroker('doomed')).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_NOT_FOUND' });
  });

  it('prunes every stream by the defaults and a stream by its own retention', async () => {
    const engine = await createEngine({ database: new MemoryDatabase(), retention: { maxEntries: 3 }, pruneIntervalMs: 60_000 });
    try {
      const plain = await engine.database.openStream('plain');
      const own = await engine.database.openStream('own');
      await engine.database.setStream('own', { retention: { maxEntries: 1 } });
      await plain.append(lines(10));
      await own.append(lines(10));
      await engine.store.append(lines(10));
      await engine.pruner.runOnce();
      expect(await plain.bounds()).toEqual({ first: 8, last: 10 });
      expect(await own.bounds()).toEqual({ first: 10, last: 10 });
      expect(await engine.store.bounds()).toEqual({ first: 8, last: 10 });
    } finally {
      await engine.stop();
    }
  });
});
