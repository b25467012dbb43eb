import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChaosProxy, startServer, tempDir, waitFor } from '@livelog/test-utils';
import { afterEach, expect, test } from 'vitest';
import { createShipper as createNodeShipper } from '../src/shipper/node/create-shipper.js';
import { createShipper } from '../src/shipper/shipper.js';
import type { ShipperEventMap } from '../src/shipper/shipper-events.js';
import { readAll } from './support/read-all.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(input: Parameters<typeof startServer>[0] = {}) {
  const started = await startServer(input);
  cleanups.push(() => started.close());
  return started;
}

test('a bad line is refused alone and reported with its position; the lines around it are stored once', async () => {
  const { url } = await server();
  const shipper = createShipper({ url, source: 'app' });
  const rejected: ShipperEventMap['rejected'][] = [];
  shipper.on('rejected', (event) => {
    rejected.push(event);
  });
  for (let i = 1; i <= 100; i++) shipper.write(i === 42 ? { msg: 'bad', level: 'loud' } : { msg: `line ${i}` });
  const report = await shipper.close();
  expect(report).toMatchObject({ written: 100, acknowledged: 99, rejected: 1, complete: true });
  expect(report.rejections).toEqual([
    { first: 42, count: 1, status: 400, code: 'LIVELOG_ERR_INGEST_BAD_LEVEL', message: expect.stringContaining('"loud"') },
  ]);
  expect(rejected[0]?.lines).toEqual(['{"msg":"bad","level":"loud"}']);
  const messages = (await readAll(url)).map((entry) => entry.msg);
  expect(messages).toEqual(Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).filter((msg) => msg !== 'line 42'));
});

test('a refused token is not retried: every line is reported refused', async () => {
  const { url } = await server({ tokens: ['s3cret-ingest:ingest+read'] });
  const shipper = createShipper({ url, token: 'not-the-token' });
  for (let i = 1; i <= 10; i++) shipper.write({ msg: `line ${i}` });
  const report = await shipper.close();
  expect(report).toMatchObject({ written: 10, acknowledged: 0, rejected: 10, retries: 0, complete: true });
  expect(report.rejections[0]).toMatchObject({ first: 1, count: 10, status: 401, code: 'LIVELOG_ERR_AUTH_INVALID_TOKEN' });
  const ok = createShipper({ url, token: 's3cret-ingest' });
  ok.write({ msg: 'with the right token' });
  expect(await ok.close()).toMatchObject({ acknowledged: 1 });
});

test('a batch over the body limit is halved until it fits; long lines are split, never truncated', async () => {
  const { url } = await server({ bodyLimit: '64KiB', lineLimit: '32KiB', messageLimit: '8KiB' });
  const shipper = createShipper({ url, maxBatchBytes: 1024 * 1024, maxLineBytes: 32 * 1024, maxMessageBytes: 8 * 1024 });
  for (let i = 1; i <= 2000; i++) shipper.write({ msg: `line ${i} ${'.'.repeat(60)}` });
  shipper.write({ msg: 'L'.repeat(20_000) });
  shipper.write({ msg: 'M'.repeat(40_000) });
  const report = await shipper.close();
  expect(report).toMatchObject({ rejected: 0, complete: true });
  const entries = await readAll(url);
  expect(entries.slice(0, 2000).every((entry, i) => entry.msg.startsWith(`line ${i + 1} `))).toBe(true);
  // 20,000 bytes fit the line limit: the server splits the message into its own parts.
  const server20 = entries.filter((entry) => entry.msg.startsWith('L'));
  expect(server20.map((entry) => entry.part)).toEqual([1, 2, 3].map((index) => ({ index, count: 3 })));
  // 40,000 bytes do not: the shipper splits it at the message limit.
  const client40 = entries.filter((entry) => entry.msg.startsWith('M'));
  expect(client40.map((entry) => entry.msg).join('')).toBe('M'.repeat(40_000));
  expect(client40.map((entry) => entry.part)).toEqual([1, 2, 3, 4, 5].map((index) => ({ index, count: 5 })));
});

test('memory is bounded: write says when it is full, waitForRoom waits until the server is back, nothing is lost', async () => {
  const { url } = await server();
  const proxy = await ChaosProxy.start({ port: Number(new URL(url).port) });
  cleanups.push(() => proxy.close());
  proxy.refuse(true);
  const shipper = createShipper({ url: proxy.url(), maxBufferedBytes: 64 * 1024, retry: { initialDelayMs: 20, maxDelayMs: 100 } });
  const full: number[] = [];
  shipper.on('full', (event) => {
    full.push(event.bufferedBytes);
  });
  let written = 0;
  while (shipper.write({ msg: `line ${++written} ${'x'.repeat(80)}` }));
  expect(full).toHaveLength(1);
  expect(full[0]).toBeGreaterThanOrEqual(64 * 1024);
  let roomAgain = false;
  const room = shipper.waitForRoom().then(() => {
    roomAgain = true;
  });
  await waitFor(() => shipper.report().retries >= 3, { what: 'a few failed attempts' });
  expect(roomAgain).toBe(false);
  proxy.refuse(false);
  await room;
  const report = await shipper.close();
  expect(report).toMatchObject({ written, acknowledged: written, complete: true });
  expect((await readAll(url)).length).toBe(written);
});

test('close with a deadline reports exactly what is left when the server stays away', async () => {
  const { url } = await server();
  const proxy = await ChaosProxy.start({ port: Number(new URL(url).port) });
  cleanups.push(() => proxy.close());
  const shipper = createShipper({ url: proxy.url(), retry: { initialDelayMs: 20, maxDelayMs: 100 } });
  for (let i = 1; i <= 50; i++) shipper.write({ msg: `line ${i}` });
  expect(await shipper.flush()).toMatchObject({ acknowledged: 50, complete: true });
  proxy.refuse(true);
  proxy.cutAll();
  for (let i = 51; i <= 80; i++) shipper.write({ msg: `line ${i}` });
  const started = Date.now();
  const report = await shipper.close({ timeoutMs: 400 });
  expect(Date.now() - started).toBeLessThan(3000);
  expect(report).toMatchObject({ written: 80, acknowledged: 50, unacknowledged: 30, spooled: 0, unsent: 30, complete: false });
  expect(() => shipper.write({ msg: 'late' })).toThrow(/after close/);
});

test('close with an idle limit waits for a slow server that keeps acknowledging, and gives up on one that stops', async () => {
  const { url } = await server();
  const upstream = new URL(url);
  // A real HTTP front that holds every request 300 ms before forwarding it: a slow but working server.
  const front = createServer((req, res) => {
    setTimeout(() => {
      const forward = request(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (reply) => {
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(res);
        },
      );
      // A shipper closed mid-request (the planted one) leaves its request behind: drop it quietly.
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    }, 300);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        front.close(resolve);
        front.closeAllConnections();
      }),
  );
  const frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  // 12 batches of 10 take ≥ 3.6 s, longer than the 2 s limit, each settling well within it.
  const slow = createShipper({ url: frontUrl, maxBatchEntries: 10, lingerMs: 0 });
  for (let i = 1; i <= 120; i++) slow.write({ msg: `slow ${i}` });
  const started = Date.now();
  expect(await slow.close({ idleTimeoutMs: 2000 })).toMatchObject({ written: 120, acknowledged: 120, complete: true });
  expect(Date.now() - started).toBeGreaterThanOrEqual(3600);
  // Planted: the same load with a total limit of 2 s is given up with lines left.
  const bounded = createShipper({ url: frontUrl, maxBatchEntries: 10, lingerMs: 0 });
  for (let i = 1; i <= 120; i++) bounded.write({ msg: `bounded ${i}` });
  const boundedReport = await bounded.close({ timeoutMs: 2000 });
  expect(boundedReport.complete).toBe(false);
  expect(boundedReport.unacknowledged).toBeGreaterThan(0);
  // A server that stops answering: nothing settles, so the idle limit ends the wait.
  const proxy = await ChaosProxy.start({ port: Number(upstream.port) });
  cleanups.push(() => proxy.close());
  const stalled = createShipper({ url: proxy.url(), retry: { initialDelayMs: 20, maxDelayMs: 100 } });
  proxy.refuse(true);
  for (let i = 1; i <= 30; i++) stalled.write({ msg: `stalled ${i}` });
  const stalledStarted = Date.now();
  const report = await stalled.close({ idleTimeoutMs: 400 });
  expect(Date.now() - stalledStarted).toBeGreaterThanOrEqual(400);
  expect(report).toMatchObject({ written: 30, acknowledged: 0, unacknowledged: 30, complete: false });
});

test('503 with Retry-After is honoured, and the retry carries the same key', async () => {
  const { url } = await server();
  const upstream = new URL(url);
  const keys: string[] = [];
  // A real HTTP front that turns the first attempt away with 503 + Retry-After: 1 and forwards the rest.
  const front = createServer((req, res) => {
    keys.push(String(req.headers['idempotency-key']));
    if (keys.length === 1) {
      req.resume();
      res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' });
      res.end('{"error":{"code":"LIVELOG_ERR_SHUTTING_DOWN","message":"busy"}}');
      return;
    }
    const forward = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => front.close(resolve)));
  const shipper = createShipper({ url: `http://127.0.0.1:${(front.address() as AddressInfo).port}`, retry: { initialDelayMs: 10 } });
  const retries: ShipperEventMap['retry'][] = [];
  shipper.on('retry', (event) => {
    retries.push(event);
  });
  shipper.write({ msg: 'once' });
  const started = Date.now();
  const report = await shipper.close();
  expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  expect(retries).toEqual([{ attempt: 1, delayMs: 1000, status: 503, code: 'LIVELOG_ERR_SHUTTING_DOWN', message: 'busy' }]);
  expect(keys).toHaveLength(2);
  expect(keys[1]).toBe(keys[0]);
  expect(report).toMatchObject({ acknowledged: 1, retries: 1 });
});

test('writeLine forwards pre-encoded records as they are; a newline in one is refused; an over-long one is split', async () => {
  const { url } = await server({ lineLimit: '4KiB', messageLimit: '1KiB' });
  const shipper = createShipper({ url, maxLineBytes: 4096, maxMessageBytes: 1024 });
  shipper.writeLine('{"msg":"as is","level":40,"time":1700000000000,"k":[1,2]}');
  expect(() => shipper.writeLine('{"msg":"a"}\n{"msg":"b"}')).toThrow(TypeError);
  shipper.writeLine(JSON.stringify({ msg: 'z'.repeat(5000), level: 'info' }));
  expect(await shipper.close()).toMatchObject({ written: 6, acknowledged: 6, complete: true });
  const entries = await readAll(url);
  expect(entries[0]).toMatchObject({ msg: 'as is', level: 'warn', time: 1_700_000_000_000, fields: { k: [1, 2] } });
  expect(
    entries
      .slice(1)
      .map((entry) => entry.msg)
      .join(''),
  ).toBe('z'.repeat(5000));
});

test('a spool that cannot be opened is reported, and the records still go from memory, each once, in order', async () => {
  const { url } = await server();
  const dir = await tempDir('livelog-spool-');
  cleanups.push(() => dir.remove());
  const holder = createNodeShipper({ url, source: 'holder', spoolDir: dir.path });
  await holder.ready();
  // One shipper per spool directory: the second cannot lock it.
  const shipper = createNodeShipper({ url, source: 'second', spoolDir: dir.path });
  const spoolErrors: string[] = [];
  shipper.on('spool-error', (event) => {
    spoolErrors.push(event.message);
  });
  for (let i = 1; i <= 20; i++) shipper.write({ msg: `line ${i}` });
  await expect(shipper.ready()).rejects.toThrow(/in use by this process/);
  expect(spoolErrors).toEqual([expect.stringMatching(/^cannot open the spool: .*in use by this process/)]);
  expect(await shipper.close()).toMatchObject({ written: 20, acknowledged: 20, spooled: 0, complete: true });
  expect(await holder.close()).toMatchObject({ written: 0, complete: true });
  const entries = await readAll(url);
  expect(entries.map((entry) => `${entry.source} ${entry.msg}`)).toEqual(Array.from({ length: 20 }, (_, i) => `second line ${i + 1}`));
});
