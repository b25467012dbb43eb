import { type HistoryPage, type LogEntry, matchEntry, parseQuery } from '@livelog/protocol';
import {
  getJson,
  openSse,
  postLogs,
  postStreamLogs,
  type SseConnection,
  startServer,
  streamPath,
  type TestServer,
  waitFor,
} from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The query language over real sockets, on the default (SQLite, indexed) store: history, the
// stream's catch-up from the store and its live path in memory must agree with matchEntry.
let server: TestServer;
const records = Array.from({ length: 60 }, (_, i) => ({
  msg: i % 10 === 0 ? `Payment FAILED for order ${i}` : i % 7 === 0 ? `connection reset by peer ${i}` : `ok ${i}`,
  level: i % 10 === 0 ? 'error' : i % 7 === 0 ? 'warn' : 'info',
  source: i % 2 === 0 ? 'api' : 'worker',
  user: { id: i % 5, name: i % 3 === 0 ? 'Ada Lovelace' : 'Bob' },
  http: { status: i % 10 === 0 ? 500 : 200 },
}));
const corpus: Pick<LogEntry, 'msg' | 'source' | 'level' | 'fields'>[] = records.map(({ msg, level, source, ...fields }) => ({
  msg,
  level: level as LogEntry['level'],
  source,
  fields,
}));
const expectedSeqs = (q: string) => corpus.flatMap((entry, i) => (matchEntry(parseQuery(q), entry) ? [i + 1] : []));
const QUERIES = [
  'payment',
  'PAYMENT failed',
  '"failed for order"',
  '"order 1"',
  'reset OR payment',
  'ok -worker',
  'source:worker level:>=warn',
  'user.id:3',
  'user.name:ada -level:info',
  'http.status:>=500',
  'level:warn OR (user.id:0 source:api)',
  'nothing-like-this',
];

beforeAll(async () => {
  server = await startServer();
  await postLogs(server.url, records.map((record) => JSON.stringify(record)).join('\n'));
});
afterAll(() => server.close());

async function history(path: string, q: string): Promise<number[]> {
  const reply = await getJson<HistoryPage>(server.url, `${path}?from=start&limit=1000&q=${encodeURIComponent(q)}`);
  expect(reply.status, q).toBe(200);
  return reply.body.entries.map((entry) => entry.seq);
}

describe('search over HTTP', () => {
  it.each(QUERIES)('GET /api/logs?q=%s finds what matchEntry finds', async (q) => {
    expect(await history('/api/logs', q)).toEqual(expectedSeqs(q));
  });

  it('searches a named stream the same way', async () => {
    await postStreamLogs(server.url, 'other', records.map((record) => JSON.stringify(record)).join('\n'));
    for (const q of QUERIES) expect(await history(streamPath('other', '/logs'), q)).toEqual(expectedSeqs(q));
  });

  it('finds an acknowledged line in a search issued right after its POST returns', async () => {
    const reply = await postStreamLogs(server.url, 'fresh', JSON.stringify({ msg: 'quokka sighting 7' }));
    expect(reply.status).toBe(200);
    expect(await history(streamPath('fresh', '/logs'), 'quokka')).toEqual([1]);
  });

  it('answers a query it cannot read with 400 LIVELOG_ERR_BAD_QUERY naming the position', async () => {
    for (const q of ['"open', 'a OR', 'x'.repeat(5000)]) {
      const reply = await getJson<{ error: { code: string; message: string } }>(server.url, `/api/logs?q=${encodeURIComponent(q)}`);
      expect(reply.status, q).toBe(400);
      expect(reply.body.error.code).toBe('LIVELOG_ERR_BAD_QUERY');
      expect(reply.body.error.message).toMatch(/position \d+/);
    }
  });

  it('filters a stream with the same query in catch-up (store) and live (in memory)', async () => {
    const q = 'payment OR (reset level:warn) -user.id:0';
    const seen: number[] = [];
    let connection: SseConnection | undefined;
    try {
      connection = openSse(
        `${server.url}/api/stream?from=start&q=${encodeURIComponent(q)}`,
        {},
        {
          onEvent: (event) => {
            if (event.type === 'message') seen.push((JSON.parse(event.data) as LogEntry).seq);
          },
        },
      );
      const caughtUp = expectedSeqs(q);
      await waitFor(() => seen.length === caughtUp.length, { what: 'catch-up matches' });
      // The same records again, now on the live path.
      await postLogs(server.url, records.map((record) => JSON.stringify(record)).join('\n'));
      const live = caughtUp.map((seq) => seq + records.length);
      await waitFor(() => seen.length === caughtUp.length + live.length, { what: 'live matches' });
      expect(seen).toEqual([...caughtUp, ...live]);
    } finally {
      connection?.close();
    }
  });
});
