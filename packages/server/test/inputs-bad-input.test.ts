import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import type { LogEntry } from '@livelog/protocol';
import { decodeOtlpError } from '@livelog/server';
import { startServer, type TestServer } from '@livelog/test-utils';
import { compress } from 'snappyjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Bad input of every kind for the OTLP and Loki push inputs: each gets a coded error, leaves the
 * store byte for byte as it was, and the server keeps serving.
 */

const INGEST = 'bad-input-ingest';
const READ = 'bad-input-read-only';
const ADMIN = 'bad-input-admin';
const AUTH = { authorization: `Bearer ${INGEST}` };

interface ProtobufMessage {
  encode(message: object): { finish(): Uint8Array };
}
// winston-loki's generated logproto encoder: a real Loki client's protobuf, not ours.
const { logproto } = createRequire(import.meta.url)('winston-loki/src/proto') as { logproto: { PushRequest: ProtobufMessage } };

let server: TestServer;
/** Now in Unix ns, as Loki and OTLP carry time (recent: retention keeps 7 days). */
const nowNs = (): string => `${Date.now()}000000`;

beforeAll(async () => {
  server = await startServer({
    tokens: [`${INGEST}:ingest`, `${READ}:read`, `${ADMIN}:admin`],
    bodyLimit: '64KiB',
    lineLimit: '4KiB',
    batchLimit: '500',
  });
  // Something stored already, so that "unchanged" compares a non-empty store.
  const reply = await post('/loki/api/v1/push', 'application/json', lokiJson([[nowNs(), 'seed line']]));
  expect(reply.status).toBe(204);
});
afterAll(async () => {
  await server.close();
});

async function post(path: string, type: string | undefined, body: string | Uint8Array, headers: Record<string, string> = AUTH) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { ...(type === undefined ? {} : { 'content-type': type }), ...headers },
    body: typeof body === 'string' ? body : Buffer.from(body),
  });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: new Uint8Array(await response.arrayBuffer()) };
}

/** Every stored entry's JSON and the bounds: what must not change. */
async function snapshot(): Promise<string> {
  const rows = await server.store.readAfter(0, 100_000);
  return JSON.stringify({ bounds: await server.store.bounds(), rows: rows.map((row) => row.json) });
}

/** `livelog_input_lines_total` of `input` by outcome. */
async function inputLines(input: string): Promise<{ accepted: number; rejected: number }> {
  const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
  const count = (outcome: string): number =>
    Number(new RegExp(`^livelog_input_lines_total\\{input="${input}",outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return { accepted: count('accepted'), rejected: count('rejected') };
}

function lokiJson(values: unknown[], stream: Record<string, string> = { app: 'web' }): string {
  return JSON.stringify({ streams: [{ stream, values }] });
}

function lokiProtobuf(labels: string, lines: string[]): Uint8Array {
  const entries = lines.map((line, i) => ({ timestamp: { seconds: Math.floor(Date.now() / 1000), nanos: i }, line }));
  return compress(logproto.PushRequest.encode({ streams: [{ labels, entries }] }).finish());
}

function otlpJson(records: object[], resource: object[] = [{ key: 'service.name', value: { stringValue: 'api' } }]): string {
  return JSON.stringify({ resourceLogs: [{ resource: { attributes: resource }, scopeLogs: [{ logRecords: records }] }] });
}

const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20));
// 1 MiB of zeros in a ~50 KiB snappy block, under the 64 KiB body limit: its declared length must
// be refused before anything is allocated for it.
const snappyBomb = compress(new Uint8Array(1024 * 1024));
const tooDeep = (depth: number): object =>
  depth === 0 ? { stringValue: 'leaf' } : { kvlistValue: { values: [{ key: 'k', value: tooDeep(depth - 1) }] } };

interface BadCase {
  name: string;
  path: '/v1/logs' | '/loki/api/v1/push';
  type: string | undefined;
  body: string | Uint8Array;
  headers?: Record<string, string>;
  status: number;
  code: string;
  /** What the error's message must say, where the code alone does not tell the cases apart. */
  message?: RegExp;
}

const OTLP = '/v1/logs';
const LOKI = '/loki/api/v1/push';
const BAD: BadCase[] = [
  {
    name: 'OTLP: truncated protobuf',
    path: OTLP,
    type: 'application/x-protobuf',
    body: Uint8Array.from([0x0a, 0xff, 0xff, 0x03]),
    status: 400,
    code: 'LIVELOG_ERR_OTLP_MALFORMED',
  },
  {
    name: 'OTLP: protobuf of the wrong wire type',
    path: OTLP,
    type: 'application/x-protobuf',
    body: Uint8Array.from([0x0f, 0x01]),
    status: 400,
    code: 'LIVELOG_ERR_OTLP_MALFORMED',
  },
  {
    name: 'OTLP: JSON that does not parse',
    path: OTLP,
    type: 'application/json',
    body: '{"resourceLogs":[',
    status: 400,
    code: 'LIVELOG_ERR_OTLP_MALFORMED',
  },
  // Regression: JSON.parse took any nesting (8 million `[` in 16 MiB: 19 s of a held event loop,
  // 330 MB), and describing the misplaced array then overflowed the stack: a 500.
  {
    name: 'OTLP: JSON nested 30,000 deep',
    path: OTLP,
    type: 'application/json',
    body: `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":${'['.repeat(30_000)}${']'.repeat(30_000)}}]}]}]}`,
    status: 400,
    code: 'LIVELOG_ERR_INGEST_TOO_DEEP',
    message: /nests deeper than 288 levels of JSON/,
  },
  {
    name: 'Loki: JSON nested 30,000 deep',
    path: LOKI,
    type: 'application/json',
    body: `{"streams":[{"stream":{"app":"web"},"values":[["1","x",${'['.repeat(30_000)}${']'.repeat(30_000)}]]}]}`,
    status: 400,
    code: 'LIVELOG_ERR_LOKI_MALFORMED',
    message: /nests deeper than 16 levels of JSON/,
  },
  {
    name: 'OTLP: JSON of the wrong shape',
    path: OTLP,
    type: 'application/json',
    body: '{"resourceLogs":{}}',
    status: 400,
    code: 'LIVELOG_ERR_OTLP_MALFORMED',
  },
  {
    name: 'OTLP: a time that is not a number',
    path: OTLP,
    type: 'application/json',
    body: otlpJson([{ timeUnixNano: 'yesterday', body: { stringValue: 'x' } }]),
    status: 400,
    code: 'LIVELOG_ERR_OTLP_MALFORMED',
  },
  {
    name: 'OTLP: a time beyond 64 bits',
    path: OTLP,
    type: 'application/json',
    body: otlpJson([{ timeUnixNano: '99999999999999999999', body: { stringValue: 'x' } }]),
    status: 400,
    code: 'LIVELOG_ERR_OTLP_MALFORMED',
  },
  {
    name: 'OTLP: a trace id that is not hex',
    path: OTLP,
    type: 'application/json',
    body: otlpJson([{ traceId: 'W4jv95gDgQPSabYzgT/GDA==', body: { stringValue: 'x' } }]),
    status: 400,
    code: 'LIVELOG_ERR_OTLP_MALFORMED',
  },
  {
    name: 'OTLP: a content type it does not use',
    path: OTLP,
    type: 'text/plain',
    body: 'hello',
    status: 415,
    code: 'LIVELOG_ERR_INGEST_UNSUPPORTED_TYPE',
  },
  {
    name: 'OTLP: no content type',
    path: OTLP,
    type: undefined,
    body: Uint8Array.from([1, 2]),
    status: 415,
    code: 'LIVELOG_ERR_INGEST_UNSUPPORTED_TYPE',
  },
  {
    name: 'OTLP: a body over the limit',
    path: OTLP,
    type: 'application/x-protobuf',
    body: new Uint8Array(65 * 1024),
    status: 413,
    code: 'LIVELOG_ERR_INGEST_BODY_TOO_LARGE',
  },
  {
    name: 'OTLP: a gzip bomb',
    path: OTLP,
    type: 'application/json',
    body: bomb,
    headers: { ...AUTH, 'content-encoding': 'gzip' },
    status: 413,
    code: 'LIVELOG_ERR_INGEST_BODY_TOO_LARGE',
  },
  {
    name: 'OTLP: a body that is not gzip',
    path: OTLP,
    type: 'application/x-protobuf',
    body: 'not gzip',
    headers: { ...AUTH, 'content-encoding': 'gzip' },
    status: 400,
    code: 'LIVELOG_ERR_INGEST_BAD_COMPRESSION',
  },
  {
    name: 'OTLP: an encoding it does not decode',
    path: OTLP,
    type: 'application/json',
    body: '{}',
    headers: { ...AUTH, 'content-encoding': 'br' },
    status: 415,
    code: 'LIVELOG_ERR_INGEST_UNSUPPORTED_ENCODING',
  },
  {
    name: 'OTLP: more entries than the batch limit',
    path: OTLP,
    type: 'application/json',
    body: otlpJson(Array.from({ length: 501 }, () => ({ body: { stringValue: 'x' } }))),
    status: 413,
    code: 'LIVELOG_ERR_INGEST_TOO_MANY_ENTRIES',
  },
  {
    name: 'OTLP: no token',
    path: OTLP,
    type: 'application/x-protobuf',
    body: new Uint8Array(0),
    headers: {},
    status: 401,
    code: 'LIVELOG_ERR_AUTH_MISSING_TOKEN',
  },
  {
    name: 'OTLP: a token without the ingest scope',
    path: OTLP,
    type: 'application/json',
    body: '{}',
    headers: { authorization: `Bearer ${READ}` },
    status: 403,
    code: 'LIVELOG_ERR_AUTH_FORBIDDEN',
  },
  {
    name: 'Loki: bytes that are not snappy',
    path: LOKI,
    type: 'application/x-protobuf',
    body: Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    status: 400,
    code: 'LIVELOG_ERR_LOKI_MALFORMED',
  },
  {
    name: 'Loki: snappy of bytes that are not a PushRequest',
    path: LOKI,
    type: 'application/x-protobuf',
    body: compress(Uint8Array.from([0x0a, 0xff, 0xff, 0x03])),
    status: 400,
    code: 'LIVELOG_ERR_LOKI_MALFORMED',
  },
  {
    name: 'Loki: a snappy bomb',
    path: LOKI,
    type: 'application/x-protobuf',
    body: snappyBomb,
    status: 413,
    code: 'LIVELOG_ERR_INGEST_BODY_TOO_LARGE',
  },
  {
    name: 'Loki: labels that do not parse',
    path: LOKI,
    type: 'application/x-protobuf',
    body: lokiProtobuf('{app="web', ['x']),
    status: 400,
    code: 'LIVELOG_ERR_LOKI_BAD_LABELS',
  },
  {
    name: 'Loki: JSON that does not parse',
    path: LOKI,
    type: 'application/json',
    body: '{"streams":[',
    status: 400,
    code: 'LIVELOG_ERR_LOKI_MALFORMED',
  },
  {
    name: 'Loki: a label value that is not a string',
    path: LOKI,
    type: 'application/json',
    body: '{"streams":[{"stream":{"app":1},"values":[]}]}',
    status: 400,
    code: 'LIVELOG_ERR_LOKI_MALFORMED',
  },
  {
    name: 'Loki: a timestamp that is not a number',
    path: LOKI,
    type: 'application/json',
    body: lokiJson([
      [nowNs(), 'good'],
      ['soon', 'bad'],
    ]),
    status: 400,
    code: 'LIVELOG_ERR_LOKI_MALFORMED',
  },
  {
    name: 'Loki: a timestamp beyond the year 9999',
    path: LOKI,
    type: 'application/json',
    body: lokiJson([
      [nowNs(), 'good'],
      ['999999999999999999999999', 'bad'],
    ]),
    status: 400,
    code: 'LIVELOG_ERR_INGEST_BAD_TIME',
  },
  {
    name: 'Loki: a line over the line limit',
    path: LOKI,
    type: 'application/json',
    body: lokiJson([
      [nowNs(), 'good'],
      [nowNs(), 'x'.repeat(5000)],
    ]),
    status: 413,
    code: 'LIVELOG_ERR_INGEST_LINE_TOO_LONG',
  },
  {
    name: 'Loki: a source label that is not printable',
    path: LOKI,
    type: 'application/json',
    body: lokiJson([[nowNs(), 'x']], { app: 'we\u0007b' }),
    status: 400,
    code: 'LIVELOG_ERR_INGEST_BAD_SOURCE',
  },
  {
    name: 'Loki: more lines than the batch limit',
    path: LOKI,
    type: 'application/json',
    body: lokiJson(Array.from({ length: 501 }, () => [nowNs(), 'x'])),
    status: 413,
    code: 'LIVELOG_ERR_INGEST_TOO_MANY_ENTRIES',
  },
  {
    name: 'Loki: a content type it does not use',
    path: LOKI,
    type: 'text/plain',
    body: 'x',
    status: 415,
    code: 'LIVELOG_ERR_INGEST_UNSUPPORTED_TYPE',
  },
  {
    name: 'Loki: a body over the limit',
    path: LOKI,
    type: 'application/json',
    body: 'x'.repeat(65 * 1024),
    status: 413,
    code: 'LIVELOG_ERR_INGEST_BODY_TOO_LARGE',
  },
  {
    name: 'Loki: a gzip bomb',
    path: LOKI,
    type: 'application/json',
    body: bomb,
    headers: { ...AUTH, 'content-encoding': 'gzip' },
    status: 413,
    code: 'LIVELOG_ERR_INGEST_BODY_TOO_LARGE',
  },
  {
    name: 'Loki: no token',
    path: LOKI,
    type: 'application/json',
    body: lokiJson([[nowNs(), 'x']]),
    headers: {},
    status: 401,
    code: 'LIVELOG_ERR_AUTH_MISSING_TOKEN',
  },
];

describe('bad input to the OTLP and Loki inputs', () => {
  it.each(BAD)('$name: $status $code, store unchanged', async (bad) => {
    const before = await snapshot();
    const reply = await post(bad.path, bad.type, bad.body, bad.headers ?? AUTH);
    expect(reply.status).toBe(bad.status);
    if (reply.type.startsWith('application/x-protobuf')) {
      // OTLP's error answer to a protobuf request: a google.rpc.Status carrying the code as ErrorInfo.
      const status = decodeOtlpError(reply.body);
      expect(status.reason).toBe(bad.code);
      expect(status.code).toBeGreaterThan(0);
    } else {
      const body = JSON.parse(Buffer.from(reply.body).toString('utf8')) as {
        error: { code: string; message: string };
        code?: number;
        details?: unknown[];
      };
      expect(body.error.code).toBe(bad.code);
      if (bad.message !== undefined) expect(body.error.message).toMatch(bad.message);
      // OTLP JSON answers are google.rpc.Status too.
      if (bad.path === OTLP && bad.type === 'application/json') {
        expect(body.code).toBeGreaterThan(0);
        expect(body.details).toEqual([{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: bad.code, domain: 'livelog' }]);
      }
    }
    expect(await snapshot()).toBe(before);
  });
});

describe('records OTLP refuses one by one', () => {
  it('are answered in partialSuccess with their code, and the others stored', async () => {
    const before = (await server.store.bounds()).last;
    const linesBefore = await inputLines('otlp');
    const body = otlpJson([
      { timeUnixNano: nowNs(), body: { stringValue: 'kept 1' } },
      { body: { stringValue: 'too deep' }, attributes: [{ key: 'deep', value: tooDeep(40) }] },
      { body: { stringValue: 'x'.repeat(5000) } },
      { body: { stringValue: 'a bad source' }, attributes: [{ key: 'service.name', value: { stringValue: 'tab\there' } }] },
      { timeUnixNano: nowNs(), body: { stringValue: 'kept 2' } },
    ]);
    const reply = await post(OTLP, 'application/json', body);
    expect(reply.status).toBe(200);
    const answer = JSON.parse(Buffer.from(reply.body).toString('utf8')) as {
      partialSuccess: { rejectedLogRecords: string; errorMessage: string };
    };
    expect(answer.partialSuccess.rejectedLogRecords).toBe('3');
    expect(answer.partialSuccess.errorMessage).toMatch(
      /^LIVELOG_ERR_INGEST_TOO_DEEP: resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[1\]\.attributes\[0\]\.value.* nests deeper than 32 levels \(and 2 more\)$/,
    );
    const stored = await server.store.readAfter(before, 10);
    expect(stored.map((row) => (JSON.parse(row.json) as LogEntry).msg)).toEqual(['kept 1', 'kept 2']);
    expect(await inputLines('otlp')).toEqual({ accepted: linesBefore.accepted + 2, rejected: linesBefore.rejected + 3 });
  });

  it('leave the store unchanged when every record is refused', async () => {
    const before = await snapshot();
    const reply = await post(
      OTLP,
      'application/json',
      otlpJson([{ body: { stringValue: 'x' } }], [{ key: 'service.name', value: { stringValue: 'bad\u0000name' } }]),
    );
    expect(reply.status).toBe(200);
    const answer = JSON.parse(Buffer.from(reply.body).toString('utf8')) as {
      partialSuccess: { rejectedLogRecords: string; errorMessage: string };
    };
    expect(answer.partialSuccess.rejectedLogRecords).toBe('1');
    expect(answer.partialSuccess.errorMessage).toMatch(/^LIVELOG_ERR_INGEST_BAD_SOURCE: resourceLogs\[0\]\.resource: /);
    expect(await snapshot()).toBe(before);
  });
});

describe('invalid UTF-8', () => {
  it('is replaced and the entry marked, never rejected, on both inputs', async () => {
    const before = (await server.store.bounds()).last;
    // A Loki JSON push whose line holds the bytes FF FE where "é" was.
    const loki = Buffer.from(lokiJson([[nowNs(), 'caf\u00e9 ok']]), 'utf8');
    loki.set([0xff, 0xfe], loki.indexOf(Buffer.from('\u00e9')));
    expect((await post(LOKI, 'application/json', loki)).status).toBe(204);
    const otlp = Buffer.from(otlpJson([{ body: { stringValue: 'na\u00efve' } }]), 'utf8');
    otlp.set([0xc3, 0x28], otlp.indexOf(Buffer.from('\u00ef')));
    expect((await post(OTLP, 'application/json', otlp)).status).toBe(200);
    const stored = (await server.store.readAfter(before, 10)).map((row) => JSON.parse(row.json) as LogEntry);
    expect(stored.map((entry) => [entry.msg, entry.invalidUtf8])).toEqual([
      ['caf\uFFFD\uFFFD ok', true],
      ['na\uFFFD(ve', true],
    ]);
  });
});

describe('the server after all that', () => {
  it('counts the lines of a push refused as a whole as rejected', async () => {
    const before = await inputLines('loki');
    expect(
      (
        await post(
          LOKI,
          'application/json',
          lokiJson([
            [nowNs(), 'a'],
            [nowNs(), 'b'],
            ['999999999999999999999999', 'c'],
          ]),
        )
      ).status,
    ).toBe(400);
    expect(await inputLines('loki')).toEqual({ accepted: before.accepted, rejected: before.rejected + 3 });
  });

  it('still takes good pushes on both inputs', async () => {
    expect((await post(LOKI, 'application/x-protobuf', lokiProtobuf('{app="web", job="x"}', ['fine']))).status).toBe(204);
    const reply = await post(OTLP, 'application/json', otlpJson([{ body: { stringValue: 'fine' } }]));
    expect(reply.status).toBe(200);
    expect(Buffer.from(reply.body).toString('utf8')).toBe('{}');
  });

  it('takes gzip request bodies on both inputs', async () => {
    const before = (await server.store.bounds()).last;
    const gzip = { ...AUTH, 'content-encoding': 'gzip' };
    const otlp = await post(OTLP, 'application/json', gzipSync(otlpJson([{ body: { stringValue: 'gzipped otlp' } }])), gzip);
    expect(otlp.status).toBe(200);
    expect((await post(LOKI, 'application/json', gzipSync(lokiJson([[nowNs(), 'gzipped loki']])), gzip)).status).toBe(204);
    const stored = (await server.store.readAfter(before, 10)).map((row) => JSON.parse(row.json) as LogEntry);
    expect(stored.map((entry) => [entry.msg, entry.source])).toEqual([
      ['gzipped otlp', 'api'],
      ['gzipped loki', 'web'],
    ]);
  });
});
