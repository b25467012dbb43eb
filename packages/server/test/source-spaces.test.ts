import type { HistoryPage, SourcesReply } from '@livelog/protocol';
import { getJson, postLogs, startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';

// Regression: ingest stored ` a ` as given while `source= a ` (trimmed, so that `source=a, b` works)
// selected `a`: a source with spaces around it was listed but could not be selected, beside its twin.
let server: TestServer;
beforeAll(async () => {
  server = await startServer();
  const records = [
    { msg: 'padded', source: ' a ' },
    { msg: 'plain', source: 'a' },
    { msg: 'nbsp', source: 'b\u00a0' },
  ];
  expect((await postLogs(server.url, records.map((record) => JSON.stringify(record)).join('\n'))).status).toBe(200);
});
afterAll(() => server.close());

it('stores a source trimmed, as the source filter reads one, so every listed source can be selected', async () => {
  const { body: sources } = await getJson<SourcesReply>(server.url, '/api/sources');
  expect(sources.sources.map((source) => [source.name, source.entries])).toEqual([
    ['a', 2],
    ['b', 1],
  ]);
  const page = async (query: string) => (await getJson<HistoryPage>(server.url, `/api/logs?from=start&${query}`)).body.entries;
  expect((await page(`source=${encodeURIComponent(' a ')}`)).map((entry) => [entry.msg, entry.source])).toEqual([
    ['padded', 'a'],
    ['plain', 'a'],
  ]);
  expect((await page('source=b')).map((entry) => entry.msg)).toEqual(['nbsp']);
});

it('refuses a source of only spaces as it refuses an empty one', async () => {
  const reply = await postLogs(server.url, JSON.stringify({ msg: 'x', source: '   ' }));
  expect(reply.status).toBe(400);
  expect(reply.body).toMatchObject({ error: { code: 'LIVELOG_ERR_INGEST_BAD_SOURCE', line: 1 } });
  // The batch's default source (`?source=`) is trimmed too.
  expect((await postLogs(server.url, 'hdr\n', 'text/plain', {}, `?source=${encodeURIComponent(' c ')}`)).status).toBe(200);
  expect((await getJson<HistoryPage>(server.url, '/api/logs?source=c')).body.entries.map((entry) => entry.msg)).toEqual(['hdr']);
});
