import { createEngine, type LivelogEngine } from '@livelog/core';
import { RecordingSink } from '@livelog/core/contract';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisDatabase } from '../src/create-redis-store.js';
import { runHttpIsolation } from './support/http-isolation.js';
import { checkSeqs, runIsolation } from './support/isolation.js';
import { dropPrefix, REDIS_URL, uniqueKey, waitFor } from './support/redis-server.js';

/**
 * Issue 10's isolation test on one Redis: through two `livelog serve` processes behind fault proxies
 * (HTTP), and through the engine API of two engines (which also checks ends and writes after them).
 */
describe('50 streams on one Redis through two engines (two processes’ worth of connections)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  it('two livelog serve processes on one Redis: 50 streams, 10 writers, 50 readers cut at random through proxies and moved between them', async () => {
    const prefix = uniqueKey('http-isolation');
    cleanups.push(() => dropPrefix(prefix));
    const { entries, cuts } = await runHttpIsolation({
      store: `${REDIS_URL}/0?key=${prefix}`,
      streams: 50,
      writers: 10,
      batchesPerWriter: 40,
      cuts: 100,
    });
    console.info(`redis http isolation: ${entries} entries in 50 streams, ${cuts} cuts, every reader exact`);
    expect(entries).toBeGreaterThan(400);
  }, 180_000);

  it('the checker catches a planted fault', () => {
    expect(checkSeqs([1, 2, 3], 3)).toEqual({ missing: 0, duplicates: 0, reordered: 0 });
    expect(checkSeqs([1, 3, 2, 2], 4)).toEqual({ missing: 1, duplicates: 1, reordered: 1 });
  });

  it('every reader, cut at random and moved between engines, gets exactly its stream’s entries once, in order, then its end', async () => {
    const prefix = uniqueKey('isolation');
    cleanups.push(() => dropPrefix(prefix));
    const { entries } = await runIsolation({ url: `${REDIS_URL}?key=${prefix}`, streams: 50, writers: 10, batchesPerWriter: 40, cleanups });
    expect(entries).toBeGreaterThan(400);
  }, 180_000);

  it('a stream deleted through one engine: the readers on the other get reset and close `deleted`, its writers 404', async () => {
    const prefix = uniqueKey('delete');
    cleanups.push(() => dropPrefix(prefix));
    const engines: LivelogEngine[] = [];
    for (let i = 0; i < 2; i++) {
      const engine = await createEngine({ database: createRedisDatabase(`${REDIS_URL}?key=${prefix}`, { pollMs: 300 }) });
      engines.push(engine);
      cleanups.push(() => engine.stop());
    }
    const [one, two] = engines as [LivelogEngine, LivelogEngine];
    const writer = await one.database.openStream('doomed');
    await writer.append([{ time: 1, level: 'info', source: 's', msg: 'm' }]);
    const lease = await two.acquireBroker('doomed');
    const sink = new RecordingSink();
    await lease.broker.subscribe(sink, { start: { fromStart: true } });
    await waitFor(() => sink.seqs().length === 1, 5000, 'the first entry');
    expect(await one.database.delete('doomed')).toBe(true);
    await waitFor(() => sink.closed, 10_000, 'the reader on the other engine to be closed');
    lease.release();
    expect(sink.events('reset')).toMatchObject([{ reason: 'deleted' }]);
    expect(sink.events('close')).toMatchObject([{ reason: 'deleted' }]);
    await expect(writer.append([{ time: 1, level: 'info', source: 's', msg: 'late' }])).rejects.toMatchObject({
      code: 'LIVELOG_ERR_STREAM_NOT_FOUND',
    });
    await expect(two.acquireBroker('doomed')).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_NOT_FOUND' });
  });
});
