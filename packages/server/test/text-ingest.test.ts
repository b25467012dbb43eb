import { readFile } from 'node:fs/promises';
import type { LogEntry } from '@livelog/protocol';
import { getJson, postLogs, startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: TestServer;
beforeAll(async () => {
  // The corpus lines are dated 2024: age retention, which counts from an entry's time, would prune them.
  server = await startServer({ retainAge: 'unlimited' });
});
afterAll(async () => {
  await server.close();
});

const corpus = (name: string) => readFile(new URL(`../../core/test/trace-corpus/${name}`, import.meta.url), 'utf8');

async function entriesOf(source: string): Promise<LogEntry[]> {
  const { body } = await getJson<{ entries: LogEntry[] }>(server.url, `/api/logs?source=${source}&limit=1000`);
  return body.entries;
}

describe('text/plain ingest: traces and line timestamps', () => {
  it('stores a Java trace as one entry; ?multiline=false stores one entry per line', async () => {
    const text = await corpus('java-printstacktrace.txt');
    expect((await postLogs(server.url, text, 'text/plain', {}, '?source=java&level=')).status).toBe(200);
    const entries = await entriesOf('java');
    expect(entries.map((entry) => entry.msg.split('\n').length)).toEqual([1, 14, 1, 3, 1]);
    expect(entries.map((entry) => entry.level)).toEqual(['info', 'error', 'info', 'error', 'info']);
    expect(entries.map((entry) => entry.msg).join('\n')).toBe(text.slice(0, -1));

    expect((await postLogs(server.url, text, 'text/plain', {}, '?source=java-lines&multiline=false')).status).toBe(200);
    expect((await entriesOf('java-lines')).map((entry) => entry.msg)).toEqual(text.slice(0, -1).split('\n'));
  });

  it('gives lines the time they start with, the receive time in fields.receivedAt; ?time=received keeps the receive time', async () => {
    const line = '127.0.0.1 - - [01/May/2024:12:00:00 +0000] "GET / HTTP/1.1" 200 612';
    const before = Date.now();
    expect((await postLogs(server.url, `${line}\n`, 'text/plain', {}, '?source=nginx')).status).toBe(200);
    const [entry] = await entriesOf('nginx');
    expect(entry?.time).toBe(Date.UTC(2024, 4, 1, 12));
    expect(entry?.fields?.receivedAt).toBeGreaterThanOrEqual(before);
    expect((await postLogs(server.url, `${line}\n`, 'text/plain', {}, '?source=nginx-received&time=received')).status).toBe(200);
    const [received] = await entriesOf('nginx-received');
    expect(received?.time).toBeGreaterThanOrEqual(before);
    expect(received?.fields).toBeUndefined();
  });

  it.each([
    ['?multiline=maybe', 'multiline'],
    ['?time=producer', 'time'],
  ])('refuses %s with a coded 400 and stores nothing', async (query, param) => {
    const before = (await server.store.bounds()).last;
    const reply = await postLogs(server.url, 'x\n', 'text/plain', {}, query);
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: { code: 'LIVELOG_ERR_QUERY_BAD_PARAM', message: expect.stringContaining(param) } });
    expect((await server.store.bounds()).last).toBe(before);
  });
});
