import { createServer as createHttpServer } from 'node:http';
import { Broker, LivelogError, MemoryStore } from '@livelog/core';
import type { HelloEvent } from '@livelog/protocol';
import { createStreamHandler } from '@livelog/server';
import {
  CHROMIUM_ARGS,
  chromiumPath,
  openSse,
  postLogs,
  type SseConnection,
  startServer,
  type TestServer,
  waitFor,
} from '@livelog/test-utils';
import { EventSource } from 'eventsource';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { streamRefusal } from '../src/sse/stream-refusal.js';

// A browser's EventSource, and the npm `eventsource`, stop for good on any answer but a 200 stream:
// a reader refused at --max-readers with a 503 never came back, even once a slot was free.

let browser: Browser;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] });
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server with one reader slot, taken by a reader of its own; `free()` lets that reader go. */
async function fullServer(): Promise<{ server: TestServer; free: () => void }> {
  const server = await startServer({ maxReaders: '1', retry: '300ms' });
  cleanups.push(() => server.close());
  const events: string[] = [];
  const holder: SseConnection = openSse(`${server.url}/api/stream`, {}, { onEvent: (event) => events.push(event.type) });
  cleanups.push(() => holder.close());
  await waitFor(() => events.includes('hello'), { what: 'the first reader holding the one slot' });
  return { server, free: () => holder.close() };
}

describe('a reader refused for a while', () => {
  it('is told why and when to come back, in a stream, when it asked for one; a JSON 503 otherwise', async () => {
    const { server } = await fullServer();
    const asSse = await fetch(`${server.url}/api/stream`, { headers: { accept: 'text/event-stream', 'last-event-id': 'x' } });
    expect(asSse.status).toBe(200);
    expect(asSse.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const body = await asSse.text();
    const match = /^: LIVELOG_ERR_STREAM_TOO_MANY_READERS: [^\n]+\nevent: close\nretry: (\d+)\ndata: (.+)\n\n$/.exec(body);
    expect(match, body).not.toBeNull();
    const retry = Number(match?.[1]);
    expect(retry).toBeGreaterThanOrEqual(300);
    expect(retry).toBeLessThanOrEqual(600);
    expect(JSON.parse(match?.[2] ?? '')).toEqual({ reason: 'busy', retryable: true });
    // No id: the reader's Last-Event-ID must survive the refusal.
    expect(body).not.toMatch(/^id:/m);
    expect(Number(asSse.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    const asJson = await fetch(`${server.url}/api/stream`);
    expect(asJson.status).toBe(503);
    expect(await asJson.json()).toMatchObject({ error: { code: 'LIVELOG_ERR_STREAM_TOO_MANY_READERS' } });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/livelog_requests_rejected_total\{code="LIVELOG_ERR_STREAM_TOO_MANY_READERS"\} 2/);
  });

  it('comes back by itself once a slot is free: the npm eventsource client, resuming from its last id', async () => {
    const { server, free } = await fullServer();
    await postLogs(server.url, '{"msg":"one"}\n{"msg":"two"}\n');
    const seen: string[] = [];
    let refusals = 0;
    let errors = 0;
    // Starts after the first entry, as a reader resuming from its Last-Event-ID would.
    const first = (await (await fetch(`${server.url}/api/logs?from=start&limit=1`)).json()) as { entries: { id: string }[] };
    const source = new EventSource(`${server.url}/api/stream?lastEventId=${encodeURIComponent(first.entries[0]?.id ?? '')}`);
    cleanups.push(() => source.close());
    source.addEventListener('close', () => refusals++);
    source.addEventListener('hello', (event) => seen.push(`hello ${(JSON.parse(event.data) as HelloEvent).stream}`));
    source.addEventListener('message', (event) => seen.push(JSON.parse(event.data).msg));
    source.addEventListener('error', () => errors++);
    await waitFor(() => refusals >= 2, { what: 'two refusals, the second after a reconnect' });
    expect(source.readyState).not.toBe(EventSource.CLOSED);
    expect(seen).toEqual([]);
    free();
    await waitFor(() => seen.includes('two'), { what: 'the entry after the id, once a slot is free' });
    expect(seen.filter((item) => !item.startsWith('hello'))).toEqual(['two']);
    expect(source.readyState).toBe(EventSource.OPEN);
    expect(errors).toBeGreaterThanOrEqual(2);
  });

  it("comes back by itself once a slot is free: Chromium's own EventSource", async () => {
    const { server, free } = await fullServer();
    await postLogs(server.url, '{"msg":"one"}\n');
    const page = await browser.newPage();
    cleanups.push(() => page.close());
    await page.goto(`${server.url}/healthz`);
    // A string, not a function: this file's own `EventSource` import must not reach the page.
    await page.evaluate(`(() => {
      const state = { refusals: 0, messages: [], closedForGood: false };
      globalThis.state = state;
      const source = new EventSource('/api/stream?from=start');
      source.addEventListener('close', () => state.refusals++);
      source.addEventListener('message', (event) => state.messages.push(JSON.parse(event.data).msg));
      source.addEventListener('error', () => {
        if (source.readyState === EventSource.CLOSED) state.closedForGood = true;
      });
    })()`);
    const state = () =>
      page.evaluate(() => (globalThis as unknown as { state: { refusals: number; messages: string[]; closedForGood: boolean } }).state);
    await waitFor(async () => (await state()).refusals >= 2 || (await state()).closedForGood, { what: 'two refusals or the end' });
    expect((await state()).closedForGood).toBe(false);
    free();
    await waitFor(async () => (await state()).messages.includes('one'), { what: 'the stream, once a slot is free' });
    expect((await state()).messages).toEqual(['one']);
  });
});

describe('streamRefusal', () => {
  const sse = { accept: 'application/json, Text/Event-Stream' };
  it('answers shutdown after the retry, busy and unavailable after it plus up to as much again, and nothing else', () => {
    const shutdown = streamRefusal(new LivelogError('LIVELOG_ERR_SHUTTING_DOWN', 'stopping'), sse, 2000);
    expect(shutdown?.body).toBe(
      ': LIVELOG_ERR_SHUTTING_DOWN: stopping\nevent: close\nretry: 2000\ndata: {"reason":"shutdown","retryable":true}\n\n',
    );
    expect(shutdown?.headers['retry-after']).toBe('2');
    for (let i = 0; i < 50; i++) {
      const unavailable = streamRefusal(new LivelogError('LIVELOG_ERR_STORE_UNAVAILABLE', 'redis\ndown'), sse, 1000);
      const retry = Number(/\nretry: (\d+)\n/.exec(unavailable?.body ?? '')?.[1]);
      expect(retry).toBeGreaterThanOrEqual(1000);
      expect(retry).toBeLessThanOrEqual(2000);
      expect(unavailable?.body).toContain(': LIVELOG_ERR_STORE_UNAVAILABLE: redis down\n');
      expect(unavailable?.body).toContain('data: {"reason":"unavailable","retryable":true}');
    }
    expect(streamRefusal(new LivelogError('LIVELOG_ERR_SHUTTING_DOWN', 'stopping'), { accept: '*/*' }, 2000)).toBeUndefined();
    expect(streamRefusal(new LivelogError('LIVELOG_ERR_SHUTTING_DOWN', 'stopping'), {}, 2000)).toBeUndefined();
    expect(streamRefusal(new LivelogError('LIVELOG_ERR_AUTH_MISSING_TOKEN', 'no token'), sse, 2000)).toBeUndefined();
  });

  it('is how a plain node:http stream handler refuses a reader over maxReaders', async () => {
    const store = new MemoryStore();
    await store.open();
    const broker = new Broker(store, { retryMs: 250 });
    await broker.start();
    const server = createHttpServer(createStreamHandler(broker, { maxReaders: 1 }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    const events: string[] = [];
    const holder = openSse(url, {}, { onEvent: (event) => events.push(event.type) });
    try {
      await waitFor(() => events.includes('hello'));
      const refused = await fetch(url, { headers: { accept: 'text/event-stream' } });
      expect(refused.status).toBe(200);
      expect(await refused.text()).toMatch(/\nevent: close\nretry: \d+\ndata: \{"reason":"busy","retryable":true\}\n\n$/);
      expect((await fetch(url)).status).toBe(503);
    } finally {
      holder.close();
      await broker.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
