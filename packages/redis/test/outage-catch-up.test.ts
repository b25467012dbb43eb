import { request } from 'node:http';
import { postLogs, ResumingReader, SseParser, waitFor } from '@livelog/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { startInstance } from './support/livelog-instance.js';
import { TestRedisServer, uniqueKey } from './support/redis-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe('Redis lost while a reader catches up', () => {
  // Regression: a catch-up read that failed past its retries dropped the reader and then rethrew the
  // error as an uncaught exception, which killed `livelog serve` and every other reader with it.
  it('drops only that reader, which resumes by its id once Redis is back; the server lives on', async () => {
    const redis = await TestRedisServer.start({ persistent: true });
    cleanups.push(() => redis.stop());
    // A small ring: the reader from the start catches up from Redis, not from memory.
    const server = await startInstance(redis.url, uniqueKey('outage-catch-up'), cleanups, undefined, ['--ring-entries', '100']);
    const total = 30_000;
    for (let from = 1; from <= total; from += 1000) {
      let body = '';
      for (let seq = from; seq < from + 1000; seq++) body += `${JSON.stringify({ msg: `line ${seq} ${'x'.repeat(300)}` })}\n`;
      expect((await postLogs(server.url, body)).status).toBe(200);
    }

    // A reader that takes a few entries, then stops reading: its socket fills mid-catch-up.
    const seqs: number[] = [];
    let ended = false;
    const parser = new SseParser({
      onEvent: (message) => {
        if (message.type === 'message') seqs.push((JSON.parse(message.data) as { seq: number }).seq);
      },
    });
    let resume: (() => void) | undefined;
    const connection = request(`${server.url}/api/stream?from=start`, (response) => {
      response.on('data', (chunk: Buffer) => {
        parser.feed(chunk);
        if (resume === undefined && seqs.length > 0) {
          response.pause();
          resume = () => response.resume();
        }
      });
      response.on('close', () => {
        ended = true;
      });
    });
    connection.on('error', () => {
      ended = true;
    });
    connection.end();
    cleanups.push(async () => void connection.destroy());
    await waitFor(() => resume !== undefined, { what: 'the reader to pause' });

    await redis.kill();
    resume?.();
    // The catch-up reads fail after their retries: the connection is dropped, the process stays.
    // Unless the server had already read the whole backlog into the socket's buffers before the kill
    // (a loaded machine can be that slow to kill Redis; it happened once in CI): then no read is left
    // to fail, and the reader simply gets everything.
    await waitFor(() => ended || seqs.length === total, { timeoutMs: 20_000, what: 'the reader to be dropped' });
    if (!ended) console.log('outage-catch-up: the whole backlog was buffered before Redis was killed; no catch-up read failed');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(server.child.exitCode).toBeNull();

    await redis.restart();
    const lastSeen = seqs.at(-1) ?? 0;
    expect(seqs).toEqual(Array.from({ length: lastSeen }, (_, i) => i + 1));
    if (lastSeen === total) return;
    const rest = new ResumingReader({ url: `${server.url}/api/stream`, headers: { 'last-event-id': parser.lastEventId } }).start();
    cleanups.push(async () => rest.stop());
    await waitFor(() => rest.lastSeq === total, { timeoutMs: 20_000, what: 'the rest after Redis is back' });
    expect(rest.seqs).toEqual(Array.from({ length: total - lastSeen }, (_, i) => lastSeen + 1 + i));
  });
});
