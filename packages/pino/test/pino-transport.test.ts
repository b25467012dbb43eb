import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fetchHistory } from '@livelog/client';
import type { LogEntry } from '@livelog/protocol';
import { startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, expect, test } from 'vitest';

const app = fileURLToPath(new URL('./fixtures/pino-app.mjs', import.meta.url));
let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

async function runApp(
  count: number,
  mode: 'natural' | 'process-exit',
  messageKey = '',
  stream = '',
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [app, server.url, String(count), mode, messageKey], {
    stdio: ['ignore', 'inherit', 'pipe'],
    env: { ...process.env, LIVELOG_TEST_STREAM: stream },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stderr };
}

async function entriesAfter(seq: number): Promise<LogEntry[]> {
  const page = await server.store.readAfter(seq, 100_000);
  return page.map((stored) => JSON.parse(stored.json) as LogEntry);
}

test.each(['natural', 'process-exit'] as const)(
  'a real pino app (%s exit): every record stored, in order, with level, time, msg, bindings and errors mapped',
  async (mode) => {
    const before = (await server.store.bounds()).last;
    const started = Date.now();
    expect(await runApp(5000, mode)).toEqual({ code: 0, stderr: '' });
    const entries = await entriesAfter(before);
    expect(entries.length).toBe(5005);
    const orders = entries.slice(0, 5000);
    expect(orders.map((entry) => entry.msg)).toEqual(Array.from({ length: 5000 }, (_, i) => `order ${i + 1} placed`));
    expect(orders[0]).toMatchObject({ level: 'info', source: 'shop', fields: { i: 1, pid: 4242, hostname: 'box-1', name: 'shop' } });
    expect(orders.every((entry) => entry.time >= started && entry.time <= Date.now())).toBe(true);
    const [warn, audit, failed, bare, fatal] = entries.slice(5000);
    expect(warn).toMatchObject({ msg: 'slow checkout', level: 'warn', fields: { requestId: 'req-7', user: { id: 7, plan: 'pro' } } });
    // A custom level (35) falls to the standard level below it.
    expect(audit).toMatchObject({ msg: 'refund approved', level: 'info', fields: { requestId: 'req-7' } });
    expect(failed).toMatchObject({
      msg: 'payment failed',
      level: 'error',
      fields: { err: { type: 'Error', message: 'card declined', stack: expect.stringContaining('Error: card declined\n    at ') } },
    });
    expect(bare).toMatchObject({
      msg: 'bare error',
      level: 'error',
      fields: { err: { type: 'TypeError', stack: expect.stringContaining('TypeError: bare error') } },
    });
    expect(fatal).toMatchObject({ msg: 'last words', level: 'fatal' });
  },
  30_000,
);

test('a custom messageKey is read from pino itself', async () => {
  const before = (await server.store.bounds()).last;
  expect(await runApp(3, 'natural', 'text')).toEqual({ code: 0, stderr: '' });
  const entries = await entriesAfter(before);
  expect(entries.map((entry) => entry.msg)).toEqual([
    'order 1 placed',
    'order 2 placed',
    'order 3 placed',
    'slow checkout',
    'refund approved',
    'payment failed',
    'bare error',
    'last words',
  ]);
  expect(entries[0]?.fields?.text).toBeUndefined();
});

test('the stream option sends every record to that named stream, none to default', async () => {
  const before = (await server.store.bounds()).last;
  expect(await runApp(20, 'natural', '', 'shop-orders')).toEqual({ code: 0, stderr: '' });
  const page = await fetchHistory({ url: server.url, stream: 'shop-orders', fromStart: true, limit: 1000 });
  expect(page.entries.map((entry) => entry.msg).slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => `order ${i + 1} placed`));
  expect(page.entries).toHaveLength(25);
  expect((await server.store.bounds()).last).toBe(before);
});
