import { connect } from 'node:net';
import { requestJson, startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Regression: requests refused before any route runs — a path that is not valid percent-encoding, a
// path parameter longer than the router's limit, a request Node's parser refuses, headers over its
// size limit — were answered in Fastify's shape ({"error":"Bad Request","code":"FST_ERR_BAD_URL",…},
// 414 FST_ERR_MAX_PARAM_LENGTH, {"error":"Bad Request","message":"Client Error"}), not livelog's.
let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

/** Sends `request` as bytes and reads the answer until the server closes the connection. */
function rawRequest(url: string, request: string): Promise<{ status: number; type: string | undefined; body: unknown }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      const type = /^content-type: *(.*)$/im.exec(head)?.[1];
      try {
        resolve({ status, type, body: JSON.parse(body) });
      } catch {
        resolve({ status, type, body });
      }
    });
  });
}

describe('requests refused before any route', () => {
  it('are answered with a livelog error body, and store nothing', async () => {
    const host = `Host: ${new URL(server.url).host}\r\n`;
    const post = (path: string): string =>
      `POST ${path} HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 12\r\nConnection: close\r\n\r\n{"msg":"no"}`;
    const longName = 'a'.repeat(1000);
    const cases: { name: string; request: string; status: number; code: string; message?: string }[] = [
      {
        name: 'bad percent-encoding in a GET path',
        request: `GET /api/streams/a%zz/logs HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
        status: 400,
        code: 'LIVELOG_ERR_BAD_REQUEST',
        message: 'the path "/api/streams/a%zz/logs" is not valid percent-encoding',
      },
      {
        name: 'bad percent-encoding in an ingest path',
        request: post('/api/streams/%E0%A4%A/logs'),
        status: 400,
        code: 'LIVELOG_ERR_BAD_REQUEST',
      },
      {
        name: 'a stream name past the router limit, read',
        request: `GET /api/streams/${longName}/logs HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
        status: 400,
        code: 'LIVELOG_ERR_STREAM_BAD_NAME',
      },
      {
        name: 'a stream name past the router limit, written',
        request: post(`/api/streams/${longName}/logs`),
        status: 400,
        code: 'LIVELOG_ERR_STREAM_BAD_NAME',
      },
      {
        name: 'a header name with a space',
        request: `GET /api/logs HTTP/1.1\r\n${host}Bad Header: x\r\n\r\n`,
        status: 400,
        code: 'LIVELOG_ERR_BAD_REQUEST',
        message: 'the request is not valid HTTP/1.1',
      },
      { name: 'a request line that is not HTTP', request: 'HELLO THERE\r\n\r\n', status: 400, code: 'LIVELOG_ERR_BAD_REQUEST' },
      {
        name: 'headers over 16 KiB',
        request: `GET /api/logs?q=${'x'.repeat(20_000)} HTTP/1.1\r\n${host}\r\n`,
        status: 431,
        code: 'LIVELOG_ERR_HEADERS_TOO_LARGE',
      },
    ];
    for (const { name, request, status, code, message } of cases) {
      const answer = await rawRequest(server.url, request);
      const error = (answer.body as { error?: { code?: unknown; message?: unknown } }).error;
      expect({ name, status: answer.status, type: answer.type, code: error?.code }).toEqual({
        name,
        status,
        type: 'application/json; charset=utf-8',
        code,
      });
      expect(typeof error?.message).toBe('string');
      if (message !== undefined) expect(error?.message).toBe(message);
    }
    const streams = await requestJson(server.url, 'GET', '/api/streams');
    expect(
      (streams.body as { streams: { name: string; entries: number }[] }).streams.map(({ name, entries }) => ({ name, entries })),
    ).toEqual([{ name: 'default', entries: 0 }]);
  });
});

// Regression: two Idempotency-Key headers (Node joins them as "a, b") were refused as a key that is
// not printable ASCII, which sent the sender looking for a bad character.
describe('an Idempotency-Key header sent twice', () => {
  it('is refused as sent twice, storing nothing', async () => {
    const body = '{"msg":"twice"}';
    const answer = await rawRequest(
      server.url,
      `POST /api/logs HTTP/1.1\r\nHost: ${new URL(server.url).host}\r\nContent-Type: application/json\r\n` +
        `Idempotency-Key: a\r\nIdempotency-Key: b\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(answer).toMatchObject({
      status: 400,
      body: {
        error: {
          code: 'LIVELOG_ERR_INGEST_BAD_IDEMPOTENCY_KEY',
          message: 'Idempotency-Key is sent more than once; send one key per batch',
        },
      },
    });
    expect(((await requestJson(server.url, 'GET', '/api/logs')).body as { entries: unknown[] }).entries).toEqual([]);
  });
});

// Regression: a parameter of one value given twice with different values was read as its first
// (`limit=1&limit=500` answered one entry, `q=a&q=b` searched for a only, `?source=a&source=b` on
// ingest stored under a), answering another question than the one asked, without a word.
describe('a one-value query parameter given twice', () => {
  it('is a 400 naming it on every route when the values differ, and the same value twice is fine', async () => {
    const refused: [string, string, string][] = [
      ['GET', '/api/logs?limit=1&limit=500', 'limit'],
      ['GET', '/api/logs?q=a&q=b', 'q'],
      ['GET', '/api/streams/default/logs?level=warn&level=error', 'level'],
      ['GET', '/api/logs?since=1h&until=1m&since=2h', 'since'],
      ['GET', '/api/stream?tail=1&tail=2', 'tail'],
      ['GET', '/api/histogram?buckets=5&buckets=6', 'buckets'],
      ['GET', '/api/seek?time=1m&time=2m', 'time'],
      ['GET', '/api/streams?order=name&order=recent', 'order'],
      ['POST', '/api/logs?source=a&source=b', 'source'],
      ['POST', '/api/streams/twice/logs?level=warn&level=error', 'level'],
    ];
    for (const [method, path, param] of refused) {
      const reply = await fetch(`${server.url}${path}`, {
        method,
        ...(method === 'POST' ? { body: 'one line', headers: { 'content-type': 'text/plain' } } : {}),
      });
      expect({ path, status: reply.status, body: await reply.json() }).toEqual({
        path,
        status: 400,
        body: {
          error: { code: 'LIVELOG_ERR_QUERY_BAD_PARAM', message: `${param}: is given more than once, with different values`, param },
        },
      });
    }
    for (const path of ['/api/logs?limit=5&limit=5', '/api/logs?source=a&source=b', '/api/streams?label=a:1&label=b:2']) {
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(200);
    }
    const streams = await requestJson(server.url, 'GET', '/api/streams');
    expect(
      (streams.body as { streams: { name: string; entries: number }[] }).streams.map(({ name, entries }) => ({ name, entries })),
    ).toEqual([{ name: 'default', entries: 0 }]);
  });
});

// Regression: the charset of a text/plain body was ignored: `charset=iso-8859-1` (the default of
// Java's and Apache HttpClient's text bodies) stored "café" as "caf\ufffd" marked invalid, and UTF-16
// lines were stored as noise; an unknown charset was taken as UTF-8 all the same.
describe('the charset of a text/plain body', () => {
  it('is decoded into UTF-8; an unknown one is a 415 storing nothing; JSON stays UTF-8 whatever it says', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hello\r\n[WARN] wörld\n', 'utf16le')]);
    const cases: [string, Buffer, number][] = [
      ['text/plain; charset=ISO-8859-1', Buffer.from('caf\xe9 au lait', 'latin1'), 200],
      ['text/plain; charset="utf-16"', utf16, 200],
      ['text/plain;charset=windows-1252', Buffer.from([0x35, 0x20, 0xb0, 0x43]), 200],
      ['text/plain; charset=UTF-8', Buffer.from('déjà vu'), 200],
      ['text/plain; charset=us-ascii', Buffer.from('plain'), 200],
      ['application/json; charset=iso-8859-1', Buffer.from(JSON.stringify({ msg: 'json é' })), 200],
      ['text/plain; charset=klingon', Buffer.from('nope'), 415],
      ['text/plain; charset=iso-2022-kr', Buffer.from('nope'), 415],
    ];
    for (const [type, body, status] of cases) {
      const reply = await fetch(`${server.url}/api/streams/charsets/logs`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: new Uint8Array(body),
      });
      const answer = (await reply.json()) as { error?: { code: string } };
      expect({ type, status: reply.status, code: answer.error?.code }).toEqual({
        type,
        status,
        code: status === 415 ? 'LIVELOG_ERR_INGEST_UNSUPPORTED_TYPE' : undefined,
      });
    }
    const page = await requestJson(server.url, 'GET', '/api/streams/charsets/logs');
    expect(
      (page.body as { entries: { msg: string; level: string; invalidUtf8?: boolean }[] }).entries.map(({ msg, level, invalidUtf8 }) => ({
        msg,
        level,
        invalidUtf8,
      })),
    ).toEqual([
      { msg: 'café au lait', level: 'info', invalidUtf8: undefined },
      { msg: 'hello', level: 'info', invalidUtf8: undefined },
      { msg: '[WARN] wörld', level: 'warn', invalidUtf8: undefined },
      { msg: '5 °C', level: 'info', invalidUtf8: undefined },
      { msg: 'déjà vu', level: 'info', invalidUtf8: undefined },
      { msg: 'plain', level: 'info', invalidUtf8: undefined },
      { msg: 'json é', level: 'info', invalidUtf8: undefined },
    ]);
  });
});
