import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fetchHistory } from '@livelog/client';
import type { LogEntry } from '@livelog/protocol';
import { startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, expect, test } from 'vitest';

const app = fileURLToPath(new URL('./fixtures/winston-app.mjs', import.meta.url));
let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

test('a real winston app: every record stored in order with level, time, message, metadata and errors mapped; ending the logger flushes', async () => {
  const before = (await server.store.bounds()).last;
  const started = Date.now();
  const child = spawn(process.execPath, [app, server.url, '5000'], { stdio: ['ignore', 'inherit', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  expect(await new Promise((resolve) => child.once('close', resolve))).toBe(0);
  expect(stderr).toBe('');
  const entries = (await server.store.readAfter(before, 100_000)).map((stored) => JSON.parse(stored.json) as LogEntry);
  expect(entries.length).toBe(5007);
  const invoices = entries.slice(0, 5000);
  expect(invoices.map((entry) => entry.msg)).toEqual(Array.from({ length: 5000 }, (_, i) => `invoice ${i + 1} sent`));
  expect(invoices[0]).toMatchObject({ level: 'info', source: 'billing', fields: { i: 1, service: 'billing' } });
  expect(invoices.every((entry) => entry.time >= started - 1 && entry.time <= Date.now())).toBe(true);
  const [warn, verbose, silly, http, locked, charge, retrying] = entries.slice(5000);
  expect(warn).toMatchObject({ msg: 'disk almost full', level: 'warn', fields: { freeMb: 12 } });
  expect([verbose?.level, silly?.level, http?.level]).toEqual(['debug', 'trace', 'info']);
  expect(locked).toMatchObject({
    msg: 'ledger locked',
    level: 'error',
    fields: { stack: expect.stringContaining('Error: ledger locked\n    at ') },
  });
  expect(charge).toMatchObject({
    msg: 'charge failed card declined',
    level: 'error',
    fields: { stack: expect.stringContaining('Error: card declined') },
  });
  expect(retrying).toMatchObject({
    msg: 'retrying',
    fields: {
      cause: { type: 'RangeError', message: 'too many attempts', stack: expect.stringContaining('RangeError: too many attempts') },
    },
  });
});

test('the stream option sends every record to that named stream, none to default', async () => {
  const before = (await server.store.bounds()).last;
  const child = spawn(process.execPath, [app, server.url, '20'], {
    stdio: ['ignore', 'inherit', 'pipe'],
    env: { ...process.env, LIVELOG_TEST_STREAM: 'billing-jobs' },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  expect(await new Promise((resolve) => child.once('close', resolve))).toBe(0);
  expect(stderr).toBe('');
  const page = await fetchHistory({ url: server.url, stream: 'billing-jobs', fromStart: true, limit: 1000 });
  expect(page.entries.map((entry) => entry.msg).slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => `invoice ${i + 1} sent`));
  expect(page.entries).toHaveLength(27);
  expect((await server.store.bounds()).last).toBe(before);
});
