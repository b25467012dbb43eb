import type { LogEntry } from '@livelog/protocol';
import { getJson, startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Regression: an OTLP/HTTP JSON or Loki JSON push body that starts with a UTF-8 byte order mark (what
 * Notepad and Windows PowerShell 5's `Out-File -Encoding utf8` write, then `curl --data-binary @file`)
 * was refused with 400 "not valid JSON", while native JSON and NDJSON ingest drop the mark (RFC 8259
 * lets a parser ignore it). A BOM inside a string is data and stays.
 */
const BOM = '\ufeff';
let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

async function post(path: string, body: string, type = 'application/json'): Promise<number> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': type },
    body: Buffer.from(body, 'utf8'),
  });
  await response.arrayBuffer();
  return response.status;
}

async function messages(): Promise<string[]> {
  return (await getJson<{ entries: LogEntry[] }>(server.url, '/api/logs?from=start&limit=100')).body.entries.map((entry) => entry.msg);
}

const nowNs = (): string => `${Date.now()}000000`;

describe('a JSON push body that starts with a UTF-8 BOM', () => {
  it('is read without the mark by OTLP/HTTP JSON and Loki JSON, as by native ingest', async () => {
    const otlp = JSON.stringify({
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: nowNs(), body: { stringValue: `otlp ${BOM}kept` } }] }] }],
    });
    expect(await post('/v1/logs', `${BOM}${otlp}`)).toBe(200);
    const loki = JSON.stringify({ streams: [{ stream: { app: 'web' }, values: [[nowNs(), 'loki line']] }] });
    expect(await post('/loki/api/v1/push', `${BOM}${loki}`)).toBe(204);
    expect(await post('/api/logs', `${BOM}{"msg":"native json"}`)).toBe(200);
    expect(await post('/api/logs', `${BOM}{"msg":"native ndjson"}\n`, 'application/x-ndjson')).toBe(200);
    expect(await messages()).toEqual([`otlp ${BOM}kept`, 'loki line', 'native json', 'native ndjson']);
  });

  it('is still refused when the rest is not JSON', async () => {
    expect(await post('/v1/logs', `${BOM}{"resourceLogs":`)).toBe(400);
    expect(await post('/loki/api/v1/push', `${BOM}${BOM}{}`)).toBe(400);
  });
});
