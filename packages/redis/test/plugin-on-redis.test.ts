import { livelog } from '@livelog/server';
import { getJson, ingest, ResumingReader, waitFor } from '@livelog/test-utils';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisStore } from '../src/create-redis-store.js';
import { dropStream, REDIS_URL, uniqueKey } from './support/redis-server.js';

describe('the Fastify plugin on a Redis store', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  // Regression: restarting the broker on a wiped stream used to live in `livelog serve`, so an app
  // that mounted the plugin on Redis kept its readers on the old identity.
  it('ends its streams when the keys are wiped, and a reader reconnecting is told reset', async () => {
    const key = uniqueKey('plugin');
    cleanups.push(() => dropStream(key));
    const app = Fastify();
    await app.register(livelog, { prefix: '/logs', store: createRedisStore(`${REDIS_URL}?key=${key}`, { pollMs: 200 }) });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => app.close());
    const base = `${address}/logs`;

    const first = await ingest(base, 5, 'old');
    const oldStream = first.firstId.split(':')[0];
    const reader = new ResumingReader({ url: `${base}/api/stream?from=start`, keepEntries: true }).start();
    cleanups.push(async () => reader.stop());
    await waitFor(() => reader.seqs.length === 5, { what: 'the first stream' });

    await dropStream(key);
    // The next append makes the new identity; the engine then restarts its broker.
    const second = await ingest(base, 3, 'new');
    const newStream = second.firstId.split(':')[0];
    expect(newStream).not.toBe(oldStream);
    expect(second).toEqual({ accepted: 3, firstId: `${newStream}:1`, lastId: `${newStream}:3` });

    await waitFor(() => reader.seqs.length === 8, { what: 'the new stream after the reset' });
    reader.stop();
    expect(reader.closeReasons).toEqual(['shutdown']);
    expect(reader.resets).toEqual([{ reason: 'foreign', stream: newStream }]);
    expect(reader.entries.map((entry) => entry.id)).toEqual([
      ...[1, 2, 3, 4, 5].map((seq) => `${oldStream}:${seq}`),
      ...[1, 2, 3].map((seq) => `${newStream}:${seq}`),
    ]);
    expect(reader.entries.map((entry) => entry.msg)).toEqual(['old 1', 'old 2', 'old 3', 'old 4', 'old 5', 'new 1', 'new 2', 'new 3']);
  });

  // Regression: a Redis restarted empty (or FLUSHALL) took `default` with it, and its readers got
  // 404 LIVELOG_ERR_STREAM_NOT_FOUND, which clients do not retry, until something wrote to it.
  it('still has `default` after its keys are wiped: readers, history and the stream info answer it', async () => {
    const key = uniqueKey('plugin-default');
    cleanups.push(() => dropStream(key));
    const app = Fastify();
    await app.register(livelog, { store: createRedisStore(`${REDIS_URL}?key=${key}`, { pollMs: 200 }) });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => app.close());
    await ingest(base, 2, 'old');
    const reader = new ResumingReader({ url: `${base}/api/stream?from=start`, keepEntries: true }).start();
    cleanups.push(async () => reader.stop());
    await waitFor(() => reader.seqs.length === 2, { what: 'the first entries' });

    await dropStream(key);
    // No write follows, as after a Redis restarted empty: the reader's next connection meets the wiped `default`.
    reader.cut();
    await waitFor(() => reader.connections >= 2 && (reader.resets.length > 0 || reader.errors.length > 0), {
      what: 'the reconnection after the wipe',
    });
    const info = await getJson<{ name: string; entries: number }>(base, '/api/streams/default');
    expect(info).toMatchObject({ status: 200, body: { name: 'default', entries: 0 } });
    const written = await ingest(base, 1, 'new');
    await waitFor(() => reader.entries.some((entry) => entry.id === written.firstId), { what: 'the new entry, read on' });
    expect(reader.errors.filter((error) => error.message.startsWith('HTTP')).map((error) => error.message)).toEqual([]);
    expect(reader.resets.map((reset) => reset.reason)).toEqual(['foreign']);
    expect(reader.entries.map((entry) => entry.msg)).toEqual(['old 1', 'old 2', 'new 1']);
  });
});
