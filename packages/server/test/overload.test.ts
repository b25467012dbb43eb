import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { createShipper } from '@livelog/client';
import type { LogEntry } from '@livelog/protocol';
import { createServer, type LivelogServer, resolveServerConfig, type ServerConfigInput } from '@livelog/server';
import { delay, getJson, openSse, postLogs, type SseConnection, tempDir, waitFor } from '@livelog/test-utils';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

/** A server whose own log lines are kept for assertions. */
interface LoggedServer {
  url: string;
  server: LivelogServer;
  lines: Record<string, unknown>[];
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(input: ServerConfigInput = {}): Promise<LoggedServer> {
  const dir = await tempDir('livelog-overload-');
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const config = resolveServerConfig({ port: 0, data: dir.path, ...input });
  const server = await createServer(config, { logger: pino({ level: 'info' }, sink) });
  const url = await server.listen();
  cleanups.push(() => dir.remove());
  cleanups.push(() => server.close());
  return { url, server, lines };
}

describe('refused readers', () => {
  it('are answered 503 and logged once per interval at warn, without a stack (regression: issue 11, item 9)', async () => {
    const { url, lines } = await start({ maxReaders: '1' });
    const hello: string[] = [];
    const reader: SseConnection = openSse(`${url}/api/stream`, {}, { onEvent: (event) => hello.push(event.type) });
    cleanups.push(async () => reader.close());
    await waitFor(() => hello.includes('hello'));
    for (let i = 0; i < 5; i++) {
      const refused = await fetch(`${url}/api/stream`);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ error: { code: 'LIVELOG_ERR_STREAM_TOO_MANY_READERS' } });
    }
    const about = lines.filter((line) => JSON.stringify(line).includes('LIVELOG_ERR_STREAM_TOO_MANY_READERS'));
    expect(about).toHaveLength(1);
    expect(about[0]).toMatchObject({ level: 40, code: 'LIVELOG_ERR_STREAM_TOO_MANY_READERS', refused: 1 });
    expect(about[0]?.err).toBeUndefined();
    expect(lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });
});

/** An HTTP answer read off a raw socket. */
interface RawAnswer {
  status: number;
  headers: string;
  body: string;
}

/** Reads one answer (head and Content-Length body) from `socket`, which may have been paused. */
async function readAnswer(socket: Socket): Promise<RawAnswer> {
  let text = '';
  socket.setEncoding('utf8');
  const done = new Promise<RawAnswer>((resolve, reject) => {
    const check = (): void => {
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const headers = text.slice(0, end);
      const length = Number(/content-length: (\d+)/i.exec(headers)?.[1] ?? 0);
      if (text.length - end - 4 < length) return;
      resolve({ status: Number(headers.slice(9, 12)), headers, body: text.slice(end + 4, end + 4 + length) });
    };
    socket.on('data', (chunk: string) => {
      text += chunk;
      check();
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed before a whole answer; got ${JSON.stringify(text.slice(0, 300))}`)));
  });
  socket.resume();
  return done;
}

/**
 * Uploads `total` bytes of body after `head`, in 256 KiB writes with a pause every 4 MiB (a slow
 * client), without reading anything: many clients read the answer only once their upload is done.
 */
async function slowUpload(socket: Socket, head: string, total: number, chunked: boolean): Promise<void> {
  let failure: Error | undefined;
  socket.on('error', (error) => {
    failure = error;
  });
  socket.pause();
  socket.write(head);
  const chunk = Buffer.alloc(256 * 1024, 'x');
  for (let sent = 0; sent < total && failure === undefined; sent += chunk.length) {
    const framed = chunked ? [Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')] : [chunk];
    let flushed = true;
    for (const part of framed) flushed = socket.write(part) && flushed;
    if (!flushed) await Promise.race([once(socket, 'drain'), once(socket, 'close')]);
    if (sent % (4 * 1024 * 1024) === 0) await delay(20);
  }
  if (chunked && failure === undefined) socket.write('0\r\n\r\n');
  if (failure !== undefined) throw failure;
}

describe('an upload over the body limit', () => {
  it.each([
    ['with Content-Length', false],
    ['chunked', true],
  ])(
    '%s: the client reads the 413 after uploading 64 MB slowly (lingering close; regression: issue 11, item 12)',
    async (_name, chunked) => {
      const { url, server } = await start({ bodyLimit: '1MiB' });
      const port = Number(new URL(url).port);
      const total = 64 * 1024 * 1024;
      const before = await server.engine.store.bounds();
      const socket = connect(port, '127.0.0.1');
      cleanups.push(async () => socket.destroy());
      await once(socket, 'connect');
      const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${total}`;
      await slowUpload(
        socket,
        `POST /api/logs HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: text/plain\r\n${framing}\r\n\r\n`,
        total,
        chunked,
      );
      const answer = await readAnswer(socket);
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'LIVELOG_ERR_INGEST_BODY_TOO_LARGE' } });
      expect(await server.engine.store.bounds()).toEqual(before);
    },
  );
});

/**
 * Starts an upload of `bytes` (text lines `<tag> <n>`) and sends all of it but its last line: the
 * request holds its share of the ingest budget until `finish` sends the rest.
 */
async function heldUpload(url: string, tag: string, bytes: number): Promise<{ finish(): Promise<RawAnswer> }> {
  const port = Number(new URL(url).port);
  let body = '';
  for (let n = 1; body.length < bytes; n++) body += `${tag} ${n}\n`.padStart(64, ' ');
  body = body.slice(body.length - bytes);
  const socket = connect(port, '127.0.0.1');
  cleanups.push(async () => socket.destroy());
  await once(socket, 'connect');
  const last = body.lastIndexOf('\n', body.length - 2) + 1;
  socket.write(`POST /api/logs HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: text/plain\r\nContent-Length: ${bytes}\r\n\r\n`);
  socket.write(body.slice(0, last));
  return {
    finish: () => {
      socket.write(body.slice(last));
      return readAnswer(socket);
    },
  };
}

/** The server's `livelog_ingest_bytes_held` gauge. */
async function bytesHeld(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^livelog_ingest_bytes_held (\d+)$/m.exec(text)?.[1]);
}

/** Every stored message, trimmed, in seq order. */
async function messages(url: string): Promise<string[]> {
  const all: string[] = [];
  let position = 'from=start';
  for (;;) {
    const page = await getJson<{ entries: LogEntry[]; hasMore: boolean }>(url, `/api/logs?${position}&limit=1000`);
    all.push(...page.body.entries.map((entry) => entry.msg.trim()));
    const last = page.body.entries.at(-1);
    if (!page.body.hasMore || last === undefined) return all;
    position = `after=${last.id}`;
  }
}

// Regression (issue 11, item 2): four 14 MB batches at once took the server from 90 MB to 1.1 GB.
describe('the ingest budget', () => {
  it('answers 503 with Retry-After past --ingest-buffer, stores nothing of it, and takes work again once bytes are released', async () => {
    const { url, server } = await start({ bodyLimit: '1MiB', ingestBuffer: '2MiB' });
    const first = await heldUpload(url, 'first', 1024 * 1024);
    const second = await heldUpload(url, 'second', 1024 * 1024 - 4096);
    const before = await server.engine.store.bounds();
    // 4 KiB are left: a larger batch does not fit, a small one does.
    const refused = await postLogs(url, `refused ${'.'.repeat(5000)}`, 'text/plain');
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: { code: 'LIVELOG_ERR_INGEST_BUSY' } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await postLogs(url, 'small line', 'text/plain')).status).toBe(200);
    expect((await first.finish()).status).toBe(200);
    expect((await postLogs(url, 'after the release', 'text/plain')).status).toBe(200);
    expect((await second.finish()).status).toBe(200);
    expect(before.last).toBe(0);
    const all = await messages(url);
    expect(all.filter((msg) => !/^(first|second) \d+$/.test(msg))).toEqual(['small line', 'after the release']);
    for (const tag of ['first', 'second']) {
      const numbers = all.filter((msg) => msg.startsWith(`${tag} `)).map((msg) => Number(msg.split(' ')[1]));
      expect(numbers.length).toBeGreaterThan(1000);
      expect(numbers).toEqual(numbers.map((_, i) => (numbers[0] as number) + i));
    }
    await waitFor(async () => (await bytesHeld(url)) === 0, { what: 'every byte given back' });
  });

  it('charges a chunked body as it arrives, and refuses it once the budget is spent', async () => {
    const { url } = await start({ bodyLimit: '1MiB', ingestBuffer: '1MiB' });
    const held = await heldUpload(url, 'held', 1024 * 1024 - 1000);
    expect(await bytesHeld(url)).toBe(1024 * 1024 - 1000);
    const port = Number(new URL(url).port);
    const socket = connect(port, '127.0.0.1');
    cleanups.push(async () => socket.destroy());
    await once(socket, 'connect');
    const line = `chunked ${'.'.repeat(1990)}\n`;
    socket.write(`POST /api/logs HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n`);
    socket.write(`${line.length.toString(16)}\r\n${line}\r\n0\r\n\r\n`);
    const answer = await readAnswer(socket);
    expect(answer.status).toBe(503);
    expect(answer.headers.toLowerCase()).toContain('retry-after: 1');
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'LIVELOG_ERR_INGEST_BUSY' } });
    expect((await held.finish()).status).toBe(200);
    expect((await messages(url)).some((msg) => msg.startsWith('chunked'))).toBe(false);
    await waitFor(async () => (await bytesHeld(url)) === 0, { what: 'every byte given back' });
  });

  it('loses nothing of a shipper that meets it: the 503 is retried until there is room', async () => {
    const { url } = await start({ bodyLimit: '1MiB', ingestBuffer: '1MiB' });
    const held = await heldUpload(url, 'held', 1024 * 1024 - 100);
    const shipper = createShipper({ url, source: 'shipped', retry: { initialDelayMs: 10, maxDelayMs: 50 } });
    const retries: (number | undefined)[] = [];
    shipper.on('retry', (event) => retries.push(event.status));
    for (let n = 1; n <= 50; n++) shipper.write({ msg: `shipped ${n}` });
    await waitFor(() => retries.length >= 1, { what: 'the shipper to meet a 503' });
    expect(retries[0]).toBe(503);
    expect((await held.finish()).status).toBe(200);
    const report = await shipper.close({ timeoutMs: 20_000 });
    expect(report).toMatchObject({ written: 50, acknowledged: 50, rejected: 0, unacknowledged: 0 });
    const shipped = (await messages(url)).filter((msg) => msg.startsWith('shipped '));
    expect(shipped).toEqual(Array.from({ length: 50 }, (_, i) => `shipped ${i + 1}`));
  });
});

// The OTLP and Loki inputs bypassed the ingest budget: a held native upload could not stop them.
describe('the ingest budget on the other inputs', () => {
  it('answers OTLP (default and per stream) and Loki pushes 503 while the budget is spent, and takes them once it is given back', async () => {
    const { url } = await start({ bodyLimit: '1MiB', ingestBuffer: '1MiB' });
    const held = await heldUpload(url, 'held', 1024 * 1024 - 100);
    const otlp = JSON.stringify({
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: `otlp ${'.'.repeat(200)}` } }] }] }],
    });
    const loki = JSON.stringify({ streams: [{ stream: { app: 'loki' }, values: [[`${Date.now()}000000`, `loki ${'.'.repeat(200)}`]] }] });
    const send = (path: string, body: string) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    for (const [path, body] of [
      ['/v1/logs', otlp],
      ['/api/streams/otlp-budget/v1/logs', otlp],
      ['/loki/api/v1/push', loki],
    ] as const) {
      const refused = await send(path, body);
      expect(refused.status, path).toBe(503);
      expect(refused.headers.get('retry-after'), path).not.toBeNull();
    }
    expect((await getJson(url, '/api/streams/otlp-budget')).status).toBe(404);
    expect((await held.finish()).status).toBe(200);
    await waitFor(async () => (await bytesHeld(url)) === 0, { what: 'every byte given back' });
    expect((await send('/v1/logs', otlp)).status).toBe(200);
    expect((await send('/api/streams/otlp-budget/v1/logs', otlp)).status).toBe(200);
    expect((await send('/loki/api/v1/push', loki)).status).toBe(204);
    expect((await messages(url)).filter((msg) => !msg.startsWith('held '))).toEqual([`otlp ${'.'.repeat(200)}`, `loki ${'.'.repeat(200)}`]);
  });
});
