import type { HistoryPage, StreamInfo } from '@livelog/protocol';
import { getJson, postStreamLogs, requestJson, startServer, streamPath, type TestServer, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Regression: a history page read after an id whose next entries retention removed started at the
// oldest kept entry with no sign of the hole, where the stream sends a `gap` event with its count.
let server: TestServer;
let stream: string;
const page = async (query: string) => (await getJson<HistoryPage>(server.url, `${streamPath('gappy', '/logs')}${query}`)).body;

beforeAll(async () => {
  server = await startServer();
  expect((await requestJson(server.url, 'PUT', streamPath('gappy'), { retention: { maxEntries: 3 } })).status).toBe(200);
  const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ msg: `r${i + 1}`, level: i === 9 ? 'error' : 'info' }));
  expect((await postStreamLogs(server.url, 'gappy', lines.join('\n'))).status).toBe(200);
  await waitFor(async () => ((await requestJson(server.url, 'GET', streamPath('gappy'))).body as StreamInfo).entries === 3, {
    timeoutMs: 15_000,
    what: 'retention of the stream to keep 3 entries',
  });
  stream = ((await page('?from=start')).entries[0]?.id ?? '').split(':')[0] as string;
});
afterAll(() => server.close());

describe('GET /api/streams/{name}/logs?after= past retention', () => {
  it('says which entries are gone, as the stream gap event does', async () => {
    const reply = await page(`?after=${stream}:2`);
    expect(reply.entries.map((entry) => entry.seq)).toEqual([8, 9, 10]);
    expect(reply.gap).toEqual({ after: `${stream}:2`, resumeAt: `${stream}:7`, missed: 5, fromSeq: 3, toSeq: 7, reason: 'retention' });
  });

  it('reports the gap with a filter that skips the first kept entries, and none when nothing is missing', async () => {
    const filtered = await page(`?after=${stream}:0&level=error`);
    expect(filtered.entries.map((entry) => entry.seq)).toEqual([10]);
    expect(filtered.gap).toMatchObject({ fromSeq: 1, toSeq: 7, missed: 7 });
    expect((await page(`?after=${stream}:7`)).gap).toBeUndefined();
    expect((await page(`?after=${stream}:8`)).gap).toBeUndefined();
    expect((await page('?from=start')).gap).toBeUndefined();
  });
});
