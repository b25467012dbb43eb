import type { HistoryPage } from '@livelog/protocol';
import { getJson, postLogs, startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: TestServer;
let stream: string;
type Page = HistoryPage;
const page = async (query: string) => (await getJson<Page>(server.url, `/api/logs${query}`)).body;
const seqs = (p: Page) => p.entries.map((entry) => entry.seq);

beforeAll(async () => {
  server = await startServer();
  stream = server.store.streamId;
  const records = Array.from({ length: 50 }, (_, i) => ({
    msg: i % 10 === 0 ? `Payment FAILED ${i}` : `ok ${i}`,
    level: i % 10 === 0 ? 'error' : 'info',
    source: i % 2 === 0 ? 'api' : 'worker',
  }));
  await postLogs(server.url, records.map((record) => JSON.stringify(record)).join('\n'));
});
afterAll(() => server.close());

describe('GET /api/logs', () => {
  it('returns the newest page by default, ascending, with hasMore', async () => {
    const newest = await page('?limit=5');
    expect(seqs(newest)).toEqual([46, 47, 48, 49, 50]);
    expect(newest.hasMore).toBe(true);
    expect((await page('')).entries).toHaveLength(50);
  });

  it('pages back with before= and forward with after= and from=start', async () => {
    expect(seqs(await page(`?before=${stream}:46&limit=3`))).toEqual([43, 44, 45]);
    const oldest = await page(`?before=${stream}:4&limit=10`);
    expect(seqs(oldest)).toEqual([1, 2, 3]);
    expect(oldest.hasMore).toBe(false);
    expect(seqs(await page(`?after=${stream}:10&limit=3`))).toEqual([11, 12, 13]);
    const last = await page(`?after=${stream}:48&limit=3`);
    expect(seqs(last)).toEqual([49, 50]);
    expect(last.hasMore).toBe(false);
    expect(seqs(await page('?from=start&limit=2'))).toEqual([1, 2]);
    expect((await page(`?after=${stream}:999`)).entries).toEqual([]);
  });

  it('filters by level, source and text like the stream does', async () => {
    expect(seqs(await page('?level=error'))).toEqual([1, 11, 21, 31, 41]);
    expect(seqs(await page('?level=error&limit=2'))).toEqual([31, 41]);
    expect(seqs(await page(`?level=error&before=${stream}:31&limit=2`))).toEqual([11, 21]);
    expect(seqs(await page('?q=payment%20failed&source=api'))).toEqual([1, 11, 21, 31, 41]);
    expect(seqs(await page('?source=worker&limit=3'))).toEqual([46, 48, 50]);
  });

  it.each([
    ['?limit=0', 400, 'LIVELOG_ERR_QUERY_BAD_PARAM'],
    ['?limit=1001', 400, 'LIVELOG_ERR_QUERY_BAD_PARAM'],
    ['?limit=ten', 400, 'LIVELOG_ERR_QUERY_BAD_PARAM'],
    ['?after=garbage', 400, 'LIVELOG_ERR_CURSOR_MALFORMED'],
    [`?before=${'x'.repeat(10_000)}:1`, 400, 'LIVELOG_ERR_CURSOR_MALFORMED'],
    ['?after=abc:-1', 400, 'LIVELOG_ERR_CURSOR_MALFORMED'],
    ['?after=abc:99999999999999999999', 400, 'LIVELOG_ERR_CURSOR_MALFORMED'],
    ['?after=otherstream:3', 409, 'LIVELOG_ERR_CURSOR_FOREIGN'],
    ['?from=end', 400, 'LIVELOG_ERR_QUERY_BAD_PARAM'],
    ['?level=verbose-ish', 400, 'LIVELOG_ERR_QUERY_BAD_PARAM'],
  ])('%s → %d %s', async (query, status, code) => {
    const reply = await getJson<{ error: { code: string; param?: string } }>(server.url, `/api/logs${query}`);
    expect(reply.status).toBe(status);
    expect(reply.body.error.code).toBe(code);
  });
});

describe('GET /api/sources, /healthz, /readyz, /metrics', () => {
  it('lists sources', async () => {
    const { body } = await getJson<{ sources: { name: string; entries: number; lastSeq: number }[] }>(server.url, '/api/sources');
    expect(body.sources.map((source) => [source.name, source.entries, source.lastSeq])).toEqual([
      ['api', 25, 49],
      ['worker', 25, 50],
    ]);
  });

  it('answers health and readiness', async () => {
    expect(await getJson(server.url, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await getJson(server.url, '/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });
  });

  it('exports Prometheus metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/^livelog_ingest_entries_total \d+/m);
    expect(text).toMatch(/^livelog_store_last_seq 50$/m);
    expect(text).toMatch(/^livelog_stream_readers 0$/m);
    // Regression (issue 9, item 10): the default process/Node metrics keep their standard names.
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^process_cpu_seconds_total [\d.e+-]+$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds [\d.e+-]+$/m);
    expect(text).not.toMatch(/^livelog_(process|nodejs)_/m);
  });

  it('answers unknown routes with a JSON 404', async () => {
    expect(await getJson(server.url, '/api/nope')).toEqual({
      status: 404,
      body: { error: { code: 'LIVELOG_ERR_NOT_FOUND', message: 'no route GET /api/nope' } },
    });
  });
});
