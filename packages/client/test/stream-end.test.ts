import { fetchHistory, type LivelogClientError, type LogStream, openStream, type StreamStatus } from '@livelog/client';
import type { LogEntry } from '@livelog/protocol';
import { delay, waitFor } from '@livelog/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeEntry, fakeHello, startFakeServer } from './support/fake-server.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fake(script: Parameters<typeof startFakeServer>[0]): Promise<Awaited<ReturnType<typeof startFakeServer>>> {
  const server = await startFakeServer(script);
  cleanups.push(() => server.close());
  return server;
}

const endFrame = (payload: object, id: string): string => `event: end\ndata: ${JSON.stringify(payload)}\nid: ${id}\n\n`;
const closeFrame = (reason: string): string => `event: close\ndata: ${JSON.stringify({ reason, retryable: false })}\n\n`;

/** Drains the stream's iterator: the entries it yields, and what it threw. */
async function drain(stream: LogStream): Promise<{ seqs: number[]; error: LivelogClientError | undefined }> {
  const seqs: number[] = [];
  try {
    for await (const entry of stream as AsyncIterable<LogEntry>) seqs.push(entry.seq);
  } catch (error) {
    return { seqs, error: error as LivelogClientError };
  }
  return { seqs, error: undefined };
}

describe('a named stream and its end', () => {
  it('reads /api/streams/{name}/stream, and after `end` finishes its iterator, exposes `ended` and never reconnects', async () => {
    const server = await fake([
      {
        raw:
          fakeHello(0) +
          fakeEntry(1) +
          fakeEntry(2) +
          fakeEntry(3) +
          endFrame({ lastId: 'fake:3', time: 1234, exitCode: 3 }, 'fake:3') +
          closeFrame('ended'),
      },
    ]);
    const stream = openStream({ url: server.url, stream: 'build-42', start: { fromStart: true }, backoff: { baseMs: 1, maxMs: 5 } });
    const ends: unknown[] = [];
    const statuses: StreamStatus[] = [];
    stream.on('end', (end) => {
      ends.push(end);
    });
    stream.on('status', (status) => {
      statuses.push(status);
    });
    const { seqs, error } = await drain(stream);
    expect(seqs).toEqual([1, 2, 3]);
    expect(error).toBeUndefined();
    expect(ends).toEqual([{ lastId: 'fake:3', time: 1234, exitCode: 3 }]);
    expect(stream.ended).toEqual({ time: 1234, exitCode: 3 });
    expect(stream.lastEventId).toBe('fake:3');
    expect(statuses.at(-1)).toMatchObject({ state: 'closed' });
    expect(statuses.at(-1)?.error).toBeUndefined();
    expect(server.paths()).toEqual(['/api/streams/build-42/stream?from=start']);
    // A reconnect would come within a few ms with this backoff.
    await delay(200);
    expect(server.requests()).toBe(1);
  });

  it('stops at `end` even when the server does not close the response after it', async () => {
    const server = await fake([
      { raw: `${fakeHello(0)}${fakeEntry(1)}${endFrame({ lastId: 'fake:1', time: 5, reason: 'end of input' }, 'fake:1')}: still open\n\n` },
    ]);
    const stream = openStream({ url: server.url, stream: 'job', backoff: { baseMs: 1, maxMs: 5 } });
    const { seqs, error } = await drain(stream);
    expect(seqs).toEqual([1]);
    expect(error).toBeUndefined();
    expect(stream.ended).toEqual({ time: 5, reason: 'end of input' });
    await delay(200);
    expect(server.requests()).toBe(1);
  });

  it('resumes across a cut before the end, then ends: every entry once', async () => {
    const server = await fake([
      { raw: fakeHello(0) + fakeEntry(1) + fakeEntry(2) },
      { raw: fakeHello(2) + fakeEntry(3) + endFrame({ lastId: 'fake:3', time: 9, exitCode: 0 }, 'fake:3') + closeFrame('ended') },
    ]);
    const stream = openStream({ url: server.url, stream: 'job', backoff: { baseMs: 1, maxMs: 5 } });
    const { seqs } = await drain(stream);
    expect(seqs).toEqual([1, 2, 3]);
    expect(server.lastEventIds()).toEqual([undefined, 'fake:2']);
    expect(stream.ended?.exitCode).toBe(0);
  });

  it('a deleted stream ends the iterator with LIVELOG_CLIENT_ERR_STREAM_DELETED, without reconnecting', async () => {
    const reset = `event: reset\nid: fake:2\ndata: ${JSON.stringify({ reason: 'deleted', stream: 'fake' })}\n\n`;
    const server = await fake([{ raw: fakeHello(0) + fakeEntry(1) + fakeEntry(2) + reset + closeFrame('deleted') }]);
    const stream = openStream({ url: server.url, stream: 'doomed', backoff: { baseMs: 1, maxMs: 5 } });
    const resets: unknown[] = [];
    stream.on('reset', (event) => {
      resets.push(event);
    });
    const { seqs, error } = await drain(stream);
    expect(seqs).toEqual([1, 2]);
    expect(error).toMatchObject({ code: 'LIVELOG_CLIENT_ERR_STREAM_DELETED', fatal: true });
    expect(resets).toEqual([{ reason: 'deleted', stream: 'fake' }]);
    expect(stream.ended).toBeUndefined();
    await delay(200);
    expect(server.requests()).toBe(1);
  });

  it('an unknown stream (404 LIVELOG_ERR_STREAM_NOT_FOUND) is fatal with its own code', async () => {
    const server = await fake([{ status: 404, code: 'LIVELOG_ERR_STREAM_NOT_FOUND' }]);
    const stream = openStream({ url: server.url, stream: 'nope', backoff: { baseMs: 1, maxMs: 5 } });
    const { error } = await drain(stream);
    expect(error).toMatchObject({ code: 'LIVELOG_CLIENT_ERR_STREAM_NOT_FOUND', status: 404, serverCode: 'LIVELOG_ERR_STREAM_NOT_FOUND' });
    await waitFor(() => server.requests() === 1, { what: 'one request' });
  });

  it('refuses a bad stream name at the call, before any request', async () => {
    for (const name of ['', 'Upper', '-dash-first', 'a/b', 'x'.repeat(129), '../etc']) {
      expect(() => openStream({ url: 'http://127.0.0.1:9', stream: name }), name).toThrow(TypeError);
      await expect(fetchHistory({ url: 'http://127.0.0.1:9', stream: name }), name).rejects.toThrow(TypeError);
    }
  });
});
