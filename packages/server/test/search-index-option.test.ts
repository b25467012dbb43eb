import type { SqliteDatabase } from '@livelog/core';
import type { HistoryPage } from '@livelog/protocol';
import { getJson, postLogs, startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `--search-index off` (LIVELOG_SEARCH_INDEX): no index writes at ingest, searches scan. Two real
// servers, one with the index and one without, take the same lines and must answer every query alike.
const LINES = 3000;
const records = Array.from({ length: LINES }, (_, i) => ({
  msg: i % 997 === 0 ? `rare quokka sighting ${i}` : i % 10 === 0 ? `Payment FAILED for order ${i}` : `GET /api/items/${i % 50} 200`,
  level: i % 10 === 0 ? 'error' : i % 7 === 0 ? 'warn' : 'info',
  source: i % 2 === 0 ? 'api' : 'worker',
  user: { id: i % 5 },
}));
const QUERIES = [
  'quokka',
  'payment failed',
  '"for order 1"',
  'quokka OR "order 20"',
  'items/7 -worker',
  'source:worker level:>=warn',
  'user.id:3 payment',
  'ab',
  'nothing-like-this',
];

let on: TestServer;
let off: TestServer;

beforeAll(async () => {
  [on, off] = await Promise.all([startServer(), startServer({ searchIndex: 'off' })]);
  const body = records.map((record) => JSON.stringify(record)).join('\n');
  await Promise.all([postLogs(on.url, body), postLogs(off.url, body)]);
});
afterAll(async () => {
  await Promise.all([on?.close(), off?.close()]);
});

/** Every match of `q`, newest first, following `next` through pages the server may cut short. */
async function search(server: TestServer, q: string, limit: number): Promise<{ seqs: number[]; pages: number }> {
  const seqs: number[] = [];
  let before = '';
  for (let pages = 1; ; pages++) {
    const query = `?limit=${limit}&q=${encodeURIComponent(q)}${before === '' ? '' : `&before=${encodeURIComponent(before)}`}`;
    const reply = await getJson<HistoryPage>(server.url, `/api/logs${query}`);
    expect(reply.status, q).toBe(200);
    expect(reply.body.entries.length, q).toBeLessThanOrEqual(limit);
    seqs.push(...reply.body.entries.map((entry) => entry.seq).reverse());
    if (!reply.body.hasMore) return { seqs, pages };
    expect(reply.body.next, q).toBeDefined();
    before = reply.body.next as string;
  }
}

describe('livelog serve --search-index', () => {
  it('keeps no index with off, and one with on (the default)', () => {
    expect((on.server.engine.database as SqliteDatabase).searchIndexed).toBe(true);
    expect((off.server.engine.database as SqliteDatabase).searchIndexed).toBe(false);
  });

  it.each(QUERIES)('answers %s with off as with on, in bounded pages', async (q) => {
    const indexed = await search(on, q, 100);
    const scanned = await search(off, q, 100);
    expect(scanned.seqs).toEqual(indexed.seqs);
    expect(indexed.seqs.length).toBe(new Set(indexed.seqs).size);
  });

  it('finds a line acknowledged right before the search without the index too', async () => {
    expect((await postLogs(off.url, JSON.stringify({ msg: 'wombat crossing' }))).status).toBe(200);
    expect((await search(off, 'wombat', 10)).seqs).toEqual([LINES + 1]);
  });
});
