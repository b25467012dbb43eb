import type { GapEvent, HelloEvent, LogEntry } from '@livelog/protocol';
import { ingest, openSse, type SseConnection, startServer, type TestServer, waitFor } from '@livelog/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisStore } from '../src/create-redis-store.js';
import { dropStream, REDIS_URL, uniqueKey } from './support/redis-server.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function instance(key: string): Promise<TestServer> {
  const store = createRedisStore(`${REDIS_URL}/0?key=${key}`);
  const server = await startServer({}, { store });
  cleanups.push(() => server.close());
  return server;
}

/** One SSE connection from `lastEventId` on, recorded in order. */
function read(url: string, lastEventId: string) {
  const seen = {
    seqs: [] as number[],
    gaps: [] as GapEvent[],
    hellos: [] as HelloEvent[],
    lastEventId,
    connection: undefined as unknown as SseConnection,
  };
  seen.connection = openSse(url, lastEventId === '' ? {} : { 'last-event-id': lastEventId }, {
    onEvent: (message) => {
      seen.lastEventId = message.lastEventId;
      if (message.type === 'message') seen.seqs.push((JSON.parse(message.data) as LogEntry).seq);
      if (message.type === 'gap') seen.gaps.push(JSON.parse(message.data) as GapEvent);
      if (message.type === 'hello') seen.hellos.push(JSON.parse(message.data) as HelloEvent);
    },
  });
  cleanups.push(() => seen.connection.close());
  return seen;
}

describe('retention by one instance, a reader resuming on another', () => {
  // Regression: the other instance's hot ring still held the entries (only the pruning process trims
  // its ring), so the reader got them without a gap, under a hello saying they were gone.
  it('gets the exact gap, then the retained entries once, as the hello says', async () => {
    const key = uniqueKey('retention');
    cleanups.push(() => dropStream(key));
    const pruning = await instance(key);
    const other = await instance(key);
    const url = `${other.url}/api/stream`;

    const away = read(`${url}?from=start`, '');
    await ingest(pruning.url, 5, 'before');
    await waitFor(() => away.seqs.length === 5, { what: 'the first entries' });
    away.connection.close();
    const cursor = away.lastEventId;
    // A live reader keeps the other instance's ring filled with what follows.
    const live = read(url, '');
    await waitFor(() => live.hellos.length === 1, { what: 'hello' });
    await ingest(pruning.url, 25, 'while away');
    await waitFor(() => live.seqs.length === 25, { what: 'the ring of the other instance to hold seq 30' });

    // A prune pass of the first instance, run here rather than on its timer so that it comes exactly now.
    expect(await pruning.server.engine.database.prune({ maxEntries: 10 }, 5000)).toBe(20);
    const back = read(url, cursor);
    await waitFor(() => back.seqs.at(-1) === 30, { what: 'the resumed reader at seq 30' });
    const stream = cursor.split(':')[0];
    expect(back.hellos.map((hello) => hello.first)).toEqual([21]);
    expect(back.gaps).toEqual([
      { after: `${stream}:5`, resumeAt: `${stream}:20`, missed: 15, fromSeq: 6, toSeq: 20, reason: 'retention' } satisfies GapEvent,
    ]);
    expect(back.seqs).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
  });
});
