import { connect } from 'node:net';
import type { LogEntry } from '@livelog/protocol';
import { getJson, postLogs, startServer, type TestServer, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: TestServer;
let secured: TestServer;
const INGEST_TOKEN = 'ingest-token-1';
const READ_TOKEN = 'read-token-12';

beforeAll(async () => {
  server = await startServer({ bodyLimit: '64KiB', lineLimit: '4KiB', batchLimit: '500' });
  secured = await startServer({ tokens: [`${INGEST_TOKEN}:ingest`, `${READ_TOKEN}:read`] });
});
afterAll(async () => {
  await server.close();
  await secured.close();
});

async function everything(target: TestServer): Promise<LogEntry[]> {
  const page = await getJson<{ entries: LogEntry[] }>(target.url, '/api/logs?from=start&limit=1000', {
    authorization: `Bearer ${READ_TOKEN}`,
  });
  return page.body.entries;
}

interface BadCase {
  name: string;
  body: string | Buffer;
  type?: string | undefined;
  headers?: Record<string, string>;
  query?: string;
  target?: () => TestServer;
  status: number;
  code: string;
  line?: number;
}

const deep = `{"msg":"x","a":${'{"b":'.repeat(50)}1${'}'.repeat(50)}}`;

const BAD: BadCase[] = [
  {
    name: 'a malformed NDJSON line rejects the whole batch',
    body: '{"msg":"ok 1"}\n{"msg":"ok 2"}\n{"msg": nope}\n',
    status: 400,
    code: 'LIVELOG_ERR_INGEST_MALFORMED_JSON',
    line: 3,
  },
  { name: 'a truncated last line', body: '{"msg":"ok"}\n{"msg":"trunc', status: 400, code: 'LIVELOG_ERR_INGEST_MALFORMED_JSON', line: 2 },
  {
    name: 'a raw NUL byte outside a JSON string',
    body: Buffer.from('{"msg":"a"}\0\n'),
    status: 400,
    code: 'LIVELOG_ERR_INGEST_MALFORMED_JSON',
    line: 1,
  },
  // fetch labels string bodies text/plain, so the body goes as bytes to arrive without a type.
  {
    name: 'a missing Content-Type',
    body: Buffer.from('{"msg":"x"}'),
    type: undefined,
    status: 415,
    code: 'LIVELOG_ERR_INGEST_UNSUPPORTED_TYPE',
  },
  { name: 'a wrong Content-Type', body: '<log/>', type: 'application/xml', status: 415, code: 'LIVELOG_ERR_INGEST_UNSUPPORTED_TYPE' },
  { name: 'form data', body: 'msg=x', type: 'application/x-www-form-urlencoded', status: 415, code: 'LIVELOG_ERR_INGEST_UNSUPPORTED_TYPE' },
  { name: 'an empty body', body: '', status: 400, code: 'LIVELOG_ERR_INGEST_EMPTY' },
  { name: 'a body of blank lines', body: '\n \r\n\t\n', status: 400, code: 'LIVELOG_ERR_INGEST_EMPTY' },
  { name: 'an empty JSON array', body: '[]', type: 'application/json', status: 400, code: 'LIVELOG_ERR_INGEST_EMPTY' },
  {
    name: 'a body over the body limit',
    body: 'x'.repeat(70 * 1024),
    type: 'text/plain',
    status: 413,
    code: 'LIVELOG_ERR_INGEST_BODY_TOO_LARGE',
  },
  {
    name: 'a line over the line limit',
    body: `ok\n${'y'.repeat(5000)}\n`,
    type: 'text/plain',
    status: 413,
    code: 'LIVELOG_ERR_INGEST_LINE_TOO_LONG',
    line: 2,
  },
  {
    name: 'more entries than the batch limit',
    body: 'l\n'.repeat(501),
    type: 'text/plain',
    status: 413,
    code: 'LIVELOG_ERR_INGEST_TOO_MANY_ENTRIES',
  },
  { name: 'an array as a record', body: '{"msg":"ok"}\n[1,2,3]\n', status: 400, code: 'LIVELOG_ERR_INGEST_NOT_AN_OBJECT', line: 2 },
  {
    name: 'a JSON number as the body',
    body: '42',
    type: 'application/json',
    status: 400,
    code: 'LIVELOG_ERR_INGEST_NOT_AN_OBJECT',
    line: 1,
  },
  {
    name: 'a non-object in a JSON array',
    body: '[{"msg":"a"},"b"]',
    type: 'application/json',
    status: 400,
    code: 'LIVELOG_ERR_INGEST_NOT_AN_OBJECT',
    line: 2,
  },
  { name: 'an unknown level', body: '{"msg":"a","level":"loud"}', status: 400, code: 'LIVELOG_ERR_INGEST_BAD_LEVEL', line: 1 },
  { name: 'a level of the wrong type', body: '{"msg":"a","level":{"n":1}}', status: 400, code: 'LIVELOG_ERR_INGEST_BAD_LEVEL', line: 1 },
  { name: 'an unparseable time', body: '{"msg":"a","time":"last tuesday"}', status: 400, code: 'LIVELOG_ERR_INGEST_BAD_TIME', line: 1 },
  { name: 'a negative time', body: '{"msg":"a","time":-5}', status: 400, code: 'LIVELOG_ERR_INGEST_BAD_TIME', line: 1 },
  {
    name: 'a source with a newline',
    body: '{"msg":"a","source":"web\\napi"}',
    status: 400,
    code: 'LIVELOG_ERR_INGEST_BAD_SOURCE',
    line: 1,
  },
  {
    name: 'a source too long',
    body: JSON.stringify({ msg: 'a', source: 's'.repeat(200) }),
    status: 400,
    code: 'LIVELOG_ERR_INGEST_BAD_SOURCE',
    line: 1,
  },
  // Regression (issue 11, item 7): the entry and /api/sources would disagree on a lone surrogate.
  {
    name: 'a source with a lone surrogate',
    body: '{"msg":"a","source":"api\\ud800"}',
    status: 400,
    code: 'LIVELOG_ERR_INGEST_BAD_SOURCE',
    line: 1,
  },
  {
    name: 'a source with a bidi override',
    body: '{"msg":"a","source":"cod\\u202egnp.exe"}',
    status: 400,
    code: 'LIVELOG_ERR_INGEST_BAD_SOURCE',
    line: 1,
  },
  {
    name: 'a ?source= with a C1 control',
    body: 'x',
    type: 'text/plain',
    query: '?source=a%C2%9Bb',
    status: 400,
    code: 'LIVELOG_ERR_QUERY_BAD_PARAM',
  },
  {
    name: 'a ?source= with U+2028',
    body: 'x',
    type: 'text/plain',
    query: '?source=a%E2%80%A8b',
    status: 400,
    code: 'LIVELOG_ERR_QUERY_BAD_PARAM',
  },
  // Regression (issue 11, item 4): application/json bodies skipped the line limit.
  {
    name: 'a JSON record over the line limit',
    body: JSON.stringify([{ msg: 'ok' }, { msg: 'big', pad: 'z'.repeat(5000) }]),
    type: 'application/json',
    status: 413,
    code: 'LIVELOG_ERR_INGEST_LINE_TOO_LONG',
    line: 2,
  },
  {
    name: 'a JSON object over the line limit',
    body: JSON.stringify({ msg: 'big', pad: 'z'.repeat(5000) }),
    type: 'application/json',
    status: 413,
    code: 'LIVELOG_ERR_INGEST_LINE_TOO_LONG',
    line: 1,
  },
  {
    name: 'a JSON body of nothing but nested brackets',
    body: `${'['.repeat(30_000)}${']'.repeat(30_000)}`,
    type: 'application/json',
    status: 400,
    code: 'LIVELOG_ERR_INGEST_TOO_DEEP',
    line: 1,
  },
  { name: 'nesting deeper than the limit', body: deep, status: 400, code: 'LIVELOG_ERR_INGEST_TOO_DEEP', line: 1 },
  { name: 'a bad ?source=', body: 'x', type: 'text/plain', query: '?source=%07bell', status: 400, code: 'LIVELOG_ERR_QUERY_BAD_PARAM' },
  { name: 'a bad ?level=', body: 'x', type: 'text/plain', query: '?level=shouty', status: 400, code: 'LIVELOG_ERR_QUERY_BAD_PARAM' },
  {
    name: 'an Idempotency-Key too long',
    body: '{"msg":"a"}',
    headers: { 'idempotency-key': 'k'.repeat(300) },
    status: 400,
    code: 'LIVELOG_ERR_INGEST_BAD_IDEMPOTENCY_KEY',
  },
  {
    name: 'an Idempotency-Key with spaces',
    body: '{"msg":"a"}',
    headers: { 'idempotency-key': 'a b' },
    status: 400,
    code: 'LIVELOG_ERR_INGEST_BAD_IDEMPOTENCY_KEY',
  },
  { name: 'no token where one is needed', body: '{"msg":"a"}', target: () => secured, status: 401, code: 'LIVELOG_ERR_AUTH_MISSING_TOKEN' },
  {
    name: 'a wrong token',
    body: '{"msg":"a"}',
    target: () => secured,
    headers: { authorization: 'Bearer wrong-token-123' },
    status: 401,
    code: 'LIVELOG_ERR_AUTH_INVALID_TOKEN',
  },
  {
    name: 'a malformed Authorization header',
    body: '{"msg":"a"}',
    target: () => secured,
    headers: { authorization: 'Basic dTpw' },
    status: 401,
    code: 'LIVELOG_ERR_AUTH_INVALID_TOKEN',
  },
  {
    name: 'a read-only token',
    body: '{"msg":"a"}',
    target: () => secured,
    headers: { authorization: `Bearer ${READ_TOKEN}` },
    status: 403,
    code: 'LIVELOG_ERR_AUTH_FORBIDDEN',
  },
];

describe('POST /api/logs rejects bad input and changes nothing', () => {
  it.each(BAD.map((bad) => [bad.name, bad] as const))('%s', async (_name, bad) => {
    const target = bad.target?.() ?? server;
    const before = await everything(target);
    const bounds = await target.store.bounds();
    const type = 'type' in bad ? bad.type : 'application/x-ndjson';
    const reply = await fetch(`${target.url}/api/logs${bad.query ?? ''}`, {
      method: 'POST',
      headers: { ...(type === undefined ? {} : { 'content-type': type }), ...bad.headers },
      body: typeof bad.body === 'string' ? bad.body : new Uint8Array(bad.body),
    });
    const body = (await reply.json()) as { error: { code: string; message: string; line?: number } };
    expect(reply.status).toBe(bad.status);
    expect(body.error.code).toBe(bad.code);
    expect(body.error.message.length).toBeGreaterThan(5);
    if (bad.line !== undefined) expect(body.error.line).toBe(bad.line);
    if (bad.status === 401) expect(reply.headers.get('www-authenticate')).toContain('Bearer');
    expect(await target.store.bounds()).toEqual(bounds);
    expect(await everything(target)).toEqual(before);
  });

  it('stores nothing of a body cut off before its end', async () => {
    const bounds = await server.store.bounds();
    await new Promise<void>((resolve) => {
      const socket = connect(new URL(server.url).port as unknown as number, '127.0.0.1', () => {
        socket.write(
          'POST /api/logs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nline one\nline two\n',
        );
        setTimeout(() => socket.destroy(), 50);
      });
      socket.on('close', () => resolve());
      socket.on('error', () => undefined);
    });
    expect(await server.store.bounds()).toEqual(bounds);
    const reply = await postLogs(server.url, 'after\n', 'text/plain');
    expect(reply.status).toBe(200);
  });

  it('refuses the same Idempotency-Key with another body, storing nothing', async () => {
    const key = `key-${Date.now()}`;
    const first = await postLogs(server.url, '{"msg":"first"}\n', 'application/x-ndjson', { 'idempotency-key': key });
    expect(first.status).toBe(200);
    const bounds = await server.store.bounds();
    const other = await postLogs(server.url, '{"msg":"different"}\n', 'application/x-ndjson', { 'idempotency-key': key });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ error: { code: 'LIVELOG_ERR_INGEST_IDEMPOTENCY_MISMATCH' } });
    expect(await server.store.bounds()).toEqual(bounds);
  });
});

describe('POST /api/logs accepts', () => {
  it('NDJSON and answers with the ids of the durable batch', async () => {
    const { last } = await server.store.bounds();
    const reply = await postLogs(server.url, '{"msg":"a"}\n{"msg":"b","level":"warn"}\n');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      accepted: 2,
      firstId: `${server.store.streamId}:${last + 1}`,
      lastId: `${server.store.streamId}:${last + 2}`,
    });
  });

  it('a JSON array, a JSON object and text with ?source= and ?level= defaults', async () => {
    const { last } = await server.store.bounds();
    expect((await postLogs(server.url, '[{"msg":"x"},{"msg":"y"}]', 'application/json')).status).toBe(200);
    expect((await postLogs(server.url, '{"msg":"z","source":"own"}', 'application/json; charset=utf-8')).status).toBe(200);
    expect((await postLogs(server.url, 'one\n[ERROR] two\n', 'text/plain; charset=utf-8', {}, '?source=cron&level=warn')).status).toBe(200);
    const entries = (await everything(server)).filter((entry) => entry.seq > last);
    expect(entries.map((entry) => [entry.msg, entry.source, entry.level])).toEqual([
      ['x', 'default', 'info'],
      ['y', 'default', 'info'],
      ['z', 'own', 'info'],
      ['one', 'cron', 'warn'],
      ['[ERROR] two', 'cron', 'warn'],
    ]);
  });

  it('NUL bytes, bare CR, ANSI and invalid UTF-8 in text, byte-exact or marked', async () => {
    const { last } = await server.store.bounds();
    const body = Buffer.concat([
      Buffer.from('nul\0here\nbare\rcr\n\u001b[1;31mred\u001b[0m\nbad '),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\n'),
    ]);
    expect((await postLogs(server.url, body, 'text/plain')).status).toBe(200);
    const entries = (await everything(server)).filter((entry) => entry.seq > last);
    expect(entries.map((entry) => entry.msg)).toEqual(['nul\0here', 'bare\rcr', '\u001b[1;31mred\u001b[0m', 'bad \ufffd(']);
    expect(entries.map((entry) => entry.invalidUtf8 ?? false)).toEqual([false, false, false, true]);
  });

  it('a retried batch with the same Idempotency-Key once, answering the first reply again', async () => {
    const key = `retry-${Date.now()}`;
    const body = '{"msg":"once 1"}\n{"msg":"once 2"}\n';
    const first = await postLogs(server.url, body, 'application/x-ndjson', { 'idempotency-key': key });
    const bounds = await server.store.bounds();
    const again = await postLogs(server.url, body, 'application/x-ndjson', { 'idempotency-key': key });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await server.store.bounds()).toEqual(bounds);
  });

  it('the ingest scope, and admin for everything', async () => {
    const ok = await postLogs(secured.url, '{"msg":"a"}', 'application/x-ndjson', { authorization: `Bearer ${INGEST_TOKEN}` });
    expect(ok.status).toBe(200);
    const denied = await getJson<{ error: { code: string } }>(secured.url, '/api/logs', { authorization: `Bearer ${INGEST_TOKEN}` });
    expect(denied.status).toBe(403);
    const viaQuery = await fetch(`${secured.url}/api/logs?token=${READ_TOKEN}`);
    expect(viaQuery.status).toBe(200);
    await waitFor(async () => (await secured.store.bounds()).last >= 1);
  });
});
