import type { StreamList } from '@livelog/protocol';
import { postStreamLogs, requestJson, spawnServer, streamPath, tempDir } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TOKENS = {
  admin: 'admin-all-0001',
  ciRead: 'ci-reader-0001',
  ciWrite: 'ci-writer-0001',
  ciAll: 'ci-admin-00001',
  prodRw: 'prod-rw-000001',
  everyRead: 'reader-all-001',
} as const;
type TokenName = keyof typeof TOKENS;

const TOKEN_FLAGS = [
  TOKENS.admin,
  `${TOKENS.ciRead}:read@ci-*`,
  `${TOKENS.ciWrite}:ingest@ci-*|build-*`,
  `${TOKENS.ciAll}:admin@ci-*`,
  `${TOKENS.prodRw}:read+ingest@prod-api`,
  `${TOKENS.everyRead}:read`,
];

type Operation = 'ingest' | 'history' | 'stream' | 'sources' | 'info' | 'labels' | 'retention' | 'end' | 'delete' | 'otlp';

/** One request of `operation` on `stream` with `token`; the status it got. */
async function attempt(
  base: string,
  token: TokenName | undefined,
  stream: string,
  operation: Operation,
): Promise<{ status: number; code?: string }> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${TOKENS[token]}` };
  const send = async (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) => {
    const reply = await requestJson(base, method, path, body, { ...headers, ...extra });
    return { status: reply.status, code: (reply.body as { error?: { code: string } })?.error?.code };
  };
  switch (operation) {
    case 'ingest':
      return send('POST', streamPath(stream, '/logs'), '{"msg":"x"}\n', { 'content-type': 'application/x-ndjson' });
    case 'history':
      return send('GET', streamPath(stream, '/logs'));
    case 'stream': {
      // HEAD answers what a GET would, without holding a reader open.
      const response = await fetch(`${base}${streamPath(stream, '/stream')}`, { method: 'HEAD', headers });
      return { status: response.status };
    }
    case 'sources':
      return send('GET', streamPath(stream, '/sources'));
    case 'info':
      return send('GET', streamPath(stream));
    case 'labels':
      return send('PUT', streamPath(stream), { labels: { team: 'a' } });
    case 'retention':
      return send('PUT', streamPath(stream), { retention: { maxEntries: 1000 } });
    case 'end':
      return send('POST', streamPath(stream, '/end'), { exitCode: 0 });
    case 'delete':
      return send('DELETE', streamPath(stream));
    case 'otlp':
      return send('POST', streamPath(stream, '/v1/logs'), {
        resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }],
      });
  }
}

/**
 * token × stream × operation → status. Streams: `ci-1` and `prod-api` exist before each row; `ci-none`
 * and `prod-none` do not. A token that does not cover a stream gets the same 403 whether the stream
 * exists or not.
 */
const TABLE: [TokenName | undefined, string, Operation, number][] = [
  // No token, a token of a missing scope.
  [undefined, 'ci-1', 'history', 401],
  [undefined, 'ci-1', 'ingest', 401],
  ['ciRead', 'ci-1', 'ingest', 403],
  ['ciWrite', 'ci-1', 'history', 403],
  // ci-* reader.
  ['ciRead', 'ci-1', 'history', 200],
  ['ciRead', 'ci-1', 'stream', 200],
  ['ciRead', 'ci-1', 'sources', 200],
  ['ciRead', 'ci-1', 'info', 200],
  ['ciRead', 'ci-none', 'history', 404],
  ['ciRead', 'ci-none', 'stream', 404],
  ['ciRead', 'prod-api', 'history', 403],
  ['ciRead', 'prod-api', 'stream', 403],
  ['ciRead', 'prod-api', 'info', 403],
  ['ciRead', 'prod-none', 'info', 403],
  ['ciRead', 'prod-none', 'stream', 403],
  // ci-*|build-* writer.
  ['ciWrite', 'ci-1', 'ingest', 200],
  ['ciWrite', 'ci-none', 'ingest', 200],
  ['ciWrite', 'build-7', 'ingest', 200],
  ['ciWrite', 'ci-1', 'otlp', 200],
  ['ciWrite', 'ci-1', 'labels', 200],
  ['ciWrite', 'ci-1', 'retention', 403],
  ['ciWrite', 'ci-1', 'end', 200],
  ['ciWrite', 'ci-1', 'delete', 403],
  ['ciWrite', 'prod-api', 'ingest', 403],
  ['ciWrite', 'prod-none', 'ingest', 403],
  ['ciWrite', 'prod-api', 'otlp', 403],
  ['ciWrite', 'prod-api', 'end', 403],
  ['ciWrite', 'prod-api', 'labels', 403],
  // ci-* admin.
  ['ciAll', 'ci-1', 'retention', 200],
  ['ciAll', 'ci-1', 'delete', 204],
  ['ciAll', 'ci-none', 'delete', 404],
  ['ciAll', 'prod-api', 'delete', 403],
  ['ciAll', 'prod-none', 'delete', 403],
  ['ciAll', 'prod-api', 'history', 403],
  // One named stream, read and ingest.
  ['prodRw', 'prod-api', 'ingest', 200],
  ['prodRw', 'prod-api', 'history', 200],
  ['prodRw', 'prod-api', 'end', 200],
  ['prodRw', 'prod-api', 'delete', 403],
  ['prodRw', 'prod-api-2', 'ingest', 403],
  ['prodRw', 'ci-1', 'history', 403],
  // Tokens without @ cover every stream.
  ['everyRead', 'prod-api', 'history', 200],
  ['everyRead', 'ci-none', 'history', 404],
  ['everyRead', 'prod-api', 'ingest', 403],
  ['admin', 'prod-api', 'retention', 200],
  ['admin', 'prod-api', 'delete', 204],
  ['admin', 'prod-none', 'delete', 404],
];

describe('scoped tokens', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: Awaited<ReturnType<typeof spawnServer>>;
  const admin = { authorization: `Bearer ${TOKENS.admin}` };

  beforeAll(async () => {
    dir = await tempDir();
    server = await spawnServer({ dataDir: dir.path, args: ['--log-level', 'warn', ...TOKEN_FLAGS.flatMap((token) => ['--token', token])] });
  });
  afterAll(async () => {
    await server?.kill();
    await dir?.remove();
  });

  /** `ci-1` and `prod-api` fresh and open, the `-none` streams and `build-7` absent. */
  async function prepare(): Promise<void> {
    for (const name of ['ci-1', 'prod-api', 'ci-none', 'prod-none', 'build-7', 'prod-api-2']) {
      await requestJson(server.url, 'DELETE', streamPath(name), undefined, admin);
    }
    for (const name of ['ci-1', 'prod-api']) expect((await postStreamLogs(server.url, name, '{"msg":"seed"}\n', admin)).status).toBe(200);
  }

  it.each(TABLE)('%s on %s: %s → %i', async (token, stream, operation, status) => {
    await prepare();
    const result = await attempt(server.url, token, stream, operation);
    expect(result.status).toBe(status);
    if (status === 403 && operation !== 'stream') {
      const scopeMissing = (token === 'ciRead' && operation === 'ingest') || (token === 'ciWrite' && operation === 'history');
      const retentionByWriter = token === 'ciWrite' && operation === 'retention';
      const ingestByReader =
        token === 'everyRead' || (token === 'prodRw' && operation === 'delete') || (token === 'ciWrite' && operation === 'delete');
      const expected =
        scopeMissing || retentionByWriter || ingestByReader ? 'LIVELOG_ERR_AUTH_FORBIDDEN' : 'LIVELOG_ERR_AUTH_STREAM_FORBIDDEN';
      expect(result.code).toBe(expected);
    }
    if (status === 404 && operation !== 'stream') expect(result.code).toBe('LIVELOG_ERR_STREAM_NOT_FOUND');
  });

  it('answers an existing and a missing stream beyond the token alike', async () => {
    await prepare();
    for (const operation of ['history', 'info', 'sources', 'ingest', 'end', 'delete'] as const) {
      const token: TokenName = operation === 'ingest' || operation === 'end' ? 'ciWrite' : operation === 'delete' ? 'ciAll' : 'ciRead';
      const existing = await attempt(server.url, token, 'prod-api', operation);
      const missing = await attempt(server.url, token, 'prod-none', operation);
      expect([existing.status, existing.code], operation).toEqual([403, 'LIVELOG_ERR_AUTH_STREAM_FORBIDDEN']);
      expect([missing.status, missing.code], operation).toEqual([403, 'LIVELOG_ERR_AUTH_STREAM_FORBIDDEN']);
    }
  });

  it('lists only the streams a token may read, page by page, with cursors that name none of the others', async () => {
    await prepare();
    const made = ['ci-a', 'ci-b', 'ci-c', 'ci-d', 'ci-e', 'prod-a', 'prod-b', 'prod-c', 'zz-1', 'zz-2'];
    for (const name of made) expect((await postStreamLogs(server.url, name, '{"msg":"x"}\n', admin)).status).toBe(200);
    const listAll = async (token: TokenName, limit: number, extra = ''): Promise<{ names: string[]; cursors: string[] }> => {
      const names: string[] = [];
      const cursors: string[] = [];
      let after = '';
      for (let page = 0; page < 50; page++) {
        const reply = await requestJson(
          server.url,
          'GET',
          `/api/streams?limit=${limit}${extra}${after ? `&after=${encodeURIComponent(after)}` : ''}`,
          undefined,
          {
            authorization: `Bearer ${TOKENS[token]}`,
          },
        );
        expect(reply.status).toBe(200);
        const body = reply.body as StreamList;
        expect(body.streams.length).toBeLessThanOrEqual(limit);
        names.push(...body.streams.map((stream) => stream.name));
        if (body.next === undefined) return { names, cursors };
        cursors.push(body.next);
        after = body.next;
      }
      throw new Error('the list does not end');
    };
    const ci = await listAll('ciRead', 2);
    expect(ci.names).toEqual(['ci-1', 'ci-a', 'ci-b', 'ci-c', 'ci-d', 'ci-e']);
    for (const cursor of ci.cursors) {
      const decoded = `${cursor} ${Buffer.from(cursor, 'base64url').toString('latin1')}`;
      expect(decoded).not.toMatch(/prod|zz/);
    }
    const prod = await listAll('prodRw', 1);
    expect(prod.names).toEqual(['prod-api']);
    const everything = await listAll('everyRead', 3);
    expect(everything.names).toEqual(expect.arrayContaining([...made, 'ci-1', 'prod-api', 'default']));
    const writerOnly = await requestJson(server.url, 'GET', '/api/streams', undefined, { authorization: `Bearer ${TOKENS.ciWrite}` });
    expect(writerOnly.status).toBe(403);
  });

  it('checks the unnamed routes against the stream default', async () => {
    const ci = { authorization: `Bearer ${TOKENS.ciRead}` };
    expect((await requestJson(server.url, 'GET', '/api/logs', undefined, ci)).status).toBe(403);
    expect((await requestJson(server.url, 'GET', '/api/logs', undefined, { authorization: `Bearer ${TOKENS.everyRead}` })).status).toBe(
      200,
    );
    const write = await requestJson(server.url, 'POST', '/api/logs', '{"msg":"x"}\n', {
      authorization: `Bearer ${TOKENS.ciWrite}`,
      'content-type': 'application/x-ndjson',
    });
    expect([write.status, (write.body as { error: { code: string } }).error.code]).toEqual([403, 'LIVELOG_ERR_AUTH_STREAM_FORBIDDEN']);
  });
});
