import { createEngine, type LivelogEngine, type NewEntry } from '@livelog/core';
import { RecordingSink } from '@livelog/core/contract';
import type { EndEvent, ResetEvent } from '@livelog/protocol';
import { expect } from 'vitest';
import { createRedisDatabase } from '../../src/create-redis-store.js';
import { waitFor } from './redis-server.js';

/** What a reader's seqs lack or hold twice or out of order, against 1..expected. */
export function checkSeqs(seqs: readonly number[], expected: number): { missing: number; duplicates: number; reordered: number } {
  const seen = new Set<number>();
  let duplicates = 0;
  let reordered = 0;
  for (let i = 0; i < seqs.length; i++) {
    const seq = seqs[i] as number;
    if (seen.has(seq)) duplicates++;
    seen.add(seq);
    if (i > 0 && seq < (seqs[i - 1] as number)) reordered++;
  }
  let missing = 0;
  for (let seq = 1; seq <= expected; seq++) if (!seen.has(seq)) missing++;
  return { missing, duplicates, reordered };
}

const random = (n: number): number => Math.floor(Math.random() * n);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A reader of one stream that is cut at random and resumes, each time on a random engine, with the
 * last event id it holds (and from=start, as an EventSource repeating its URL): what a browser does
 * through a proxy that drops it. It stops once it received `end`.
 */
async function readUntilEnd(engines: LivelogEngine[], name: string) {
  const result = {
    seqs: [] as number[],
    ids: [] as string[],
    resets: [] as ResetEvent[],
    end: undefined as EndEvent | undefined,
    connections: 0,
  };
  let lastEventId: string | undefined;
  while (result.end === undefined) {
    const engine = engines[random(engines.length)] as LivelogEngine;
    const lease = await engine.openBroker(name);
    const sink = new RecordingSink();
    result.connections++;
    await lease.broker.subscribe(sink, { start: { fromStart: true, ...(lastEventId === undefined ? {} : { lastEventId }) } });
    await pause(5 + random(60));
    sink.destroy();
    lease.release();
    for (const frame of sink.frames()) {
      result.seqs.push(frame.entry.seq);
      result.ids.push(frame.id);
    }
    result.resets.push(...(sink.events('reset') as ResetEvent[]));
    result.end = (sink.events('end') as EndEvent[])[0];
    lastEventId = sink.lastEventId() ?? lastEventId;
  }
  return result;
}

/** Size of an isolation run. */
export interface IsolationRun {
  /** Store URL of the Redis (or cluster) with a prefix of the test's own. */
  url: string;
  streams: number;
  writers: number;
  batchesPerWriter: number;
  cleanups: (() => Promise<void>)[];
}

/**
 * The isolation test of issue 10 through the engine API: two engines (each with its own Redis
 * connections, as two processes), `streams` streams written concurrently by `writers` writers (random
 * batches to random streams through random engines), one reader per stream cut at random and moved
 * between the engines. Every reader must get exactly its stream's entries, once, in order, with its
 * stream's identity in every id, then the end with its exit code. Returns the stream names in order.
 */
export async function runIsolation(run: IsolationRun): Promise<{ names: string[]; entries: number }> {
  const engines: LivelogEngine[] = [];
  for (let i = 0; i < 2; i++) {
    const engine = await createEngine({ database: createRedisDatabase(run.url, { pollMs: 300 }), brokerIdleMs: 500 });
    engines.push(engine);
    run.cleanups.push(() => engine.stop());
  }
  const [one, two] = engines as [LivelogEngine, LivelogEngine];
  const names = Array.from({ length: run.streams }, (_, i) => `iso-${i}`);
  for (const name of names) await one.database.setStream(name, { labels: { test: 'isolation' } });
  const identities = new Map<string, string>();
  for (const name of names) identities.set(name, (await two.database.openStream(name)).streamId);
  expect(new Set(identities.values()).size).toBe(run.streams);

  const reading = names.map((name) => readUntilEnd(engines, name));
  const expected = new Map(names.map((name) => [name, 0]));
  await Promise.all(
    Array.from({ length: run.writers }, async (_, writer) => {
      for (let batch = 0; batch < run.batchesPerWriter; batch++) {
        const name = names[random(run.streams)] as string;
        const size = 1 + random(40);
        const entries: NewEntry[] = Array.from({ length: size }, (_, i) => ({
          time: Date.now(),
          level: 'info',
          source: `w${writer}`,
          msg: `${name} ${i}`,
        }));
        const store = await (engines[random(2)] as LivelogEngine).database.openStream(name);
        const ack = await store.append(entries, { idempotencyKey: `${writer}-${batch}` });
        expect(ack.lastSeq - ack.firstSeq + 1).toBe(size);
        expected.set(name, (expected.get(name) ?? 0) + size);
        // Spread over a few seconds, so that readers are cut while writes arrive.
        await pause(random(20));
      }
    }),
  );
  await Promise.all(
    names.map(async (name, i) => (await (engines[i % 2] as LivelogEngine).database.openStream(name)).end({ exitCode: i % 4 })),
  );
  const results = await Promise.all(reading);

  let entries = 0;
  results.forEach((result, i) => {
    const name = names[i] as string;
    const total = expected.get(name) ?? 0;
    entries += total;
    expect(checkSeqs(result.seqs, total), name).toEqual({ missing: 0, duplicates: 0, reordered: 0 });
    expect(result.seqs, name).toEqual(Array.from({ length: total }, (_, k) => k + 1));
    // Every id carries this stream's identity: nothing crossed streams.
    expect(
      result.ids.every((id, k) => id === `${identities.get(name)}:${k + 1}`),
      name,
    ).toBe(true);
    expect(result.resets, name).toEqual([]);
    expect(result.end, name).toMatchObject({ lastId: `${identities.get(name)}:${total}`, exitCode: i % 4 });
    expect(result.connections, name).toBeGreaterThan(1);
  });

  // An id of one stream given to another is foreign: reset, never silently accepted.
  const lease = await two.openBroker('iso-1');
  const sink = new RecordingSink();
  await lease.broker.subscribe(sink, { start: { lastEventId: `${identities.get('iso-0')}:1`, fromStart: true } });
  await waitFor(() => sink.events('end').length === 1, 10_000, 'the end of iso-1');
  lease.release();
  expect(sink.events('reset')).toEqual([{ reason: 'foreign', stream: identities.get('iso-1') }]);
  expect(sink.seqs()).toEqual(Array.from({ length: expected.get('iso-1') ?? 0 }, (_, k) => k + 1));

  // Writes after the end: refused on either engine, nothing stored.
  for (const engine of engines) {
    await expect(
      (await engine.database.openStream('iso-2')).append([{ time: 1, level: 'info', source: 's', msg: 'late' }]),
    ).rejects.toMatchObject({
      code: 'LIVELOG_ERR_STREAM_ENDED',
    });
  }
  expect((await (await one.database.openStream('iso-2')).bounds()).last).toBe(expected.get('iso-2'));
  return { names, entries };
}
