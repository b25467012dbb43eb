import { deflateSync, gzipSync } from 'node:zlib';
import type { LogEntry } from '@livelog/protocol';
import { getJson, startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Native ingest (`POST /api/logs`, `/api/streams/{name}/logs`) with a Content-Encoding. Before, the
// header was ignored and a gzip body was stored as one entry of binary noise, marked invalidUtf8.
let server: TestServer;
beforeAll(async () => {
  server = await startServer({ bodyLimit: '64KiB' });
});
afterAll(async () => {
  await server.close();
});

async function post(path: string, body: Buffer | string, encoding: string, type = 'text/plain'): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': type, 'content-encoding': encoding },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
}

async function messages(stream: string): Promise<string[]> {
  const page = await getJson<{ entries: LogEntry[] }>(server.url, `/api/streams/${stream}/logs?from=start&limit=1000`);
  return page.body.entries.map((entry) => entry.msg);
}

describe('native ingest with Content-Encoding', () => {
  it('decodes gzip and deflate bodies of every type, on the default and named routes', async () => {
    expect((await post('/api/logs', gzipSync('gz one\ngz two\n'), 'gzip')).status).toBe(200);
    expect((await post('/api/streams/enc/logs', deflateSync('{"msg":"deflated"}\n'), 'deflate', 'application/x-ndjson')).status).toBe(200);
    expect((await post('/api/streams/enc/logs', gzipSync('{"msg":"json gz"}'), 'GZIP', 'application/json')).status).toBe(200);
    expect((await messages('default')).slice(-2)).toEqual(['gz one', 'gz two']);
    expect(await messages('enc')).toEqual(['deflated', 'json gz']);
  });

  it.each([
    { name: 'an encoding it does not decode', body: 'plain', encoding: 'br', status: 415, code: 'LIVELOG_ERR_INGEST_UNSUPPORTED_ENCODING' },
    { name: 'a body that is not gzip', body: 'not gzip', encoding: 'gzip', status: 400, code: 'LIVELOG_ERR_INGEST_BAD_COMPRESSION' },
    {
      name: 'a gzip bomb',
      body: gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x61)),
      encoding: 'gzip',
      status: 413,
      code: 'LIVELOG_ERR_INGEST_BODY_TOO_LARGE',
    },
  ])('refuses $name with $status $code and creates nothing', async ({ body, encoding, status, code }) => {
    const stream = `refused-${encoding}-${status}`;
    const reply = await post(`/api/streams/${stream}/logs`, body, encoding);
    expect(reply.status).toBe(status);
    expect(((await reply.json()) as { error: { code: string } }).error.code).toBe(code);
    expect((await fetch(`${server.url}/api/streams/${stream}`)).status).toBe(404);
  });
});
