import type { HistoryPage } from '@livelog/protocol';
import { getJson, postLogs, startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A source may hold a comma (ingest takes it, /api/sources lists it), while `source=a,b` means two
// sources. These pin that such a source can still be selected, alone, by every reader.
let server: TestServer;
const SOURCES = ['a', 'b', 'a,b', 'C:\\app', 'x\\'];

beforeAll(async () => {
  server = await startServer();
  // Four lines of each source, and three more of `a,b`, so that its count is its own.
  const records = Array.from({ length: 23 }, (_, i) => ({ msg: `m${i}`, source: i < 20 ? SOURCES[i % SOURCES.length] : 'a,b' }));
  await postLogs(server.url, records.map((record) => JSON.stringify(record)).join('\n'));
});
afterAll(() => server.close());

const sourcesOf = async (query: string): Promise<string[]> => {
  const { status, body } = await getJson<HistoryPage>(server.url, `/api/logs?from=start&limit=1000&${query}`);
  expect(status).toBe(200);
  return [...new Set(body.entries.map((entry) => entry.source))].sort();
};

describe('a source whose name holds a comma', () => {
  it('is selected alone by `\\,`, while a plain comma still separates names', async () => {
    expect(await sourcesOf(`source=${encodeURIComponent('a\\,b')}`)).toEqual(['a,b']);
    expect(await sourcesOf('source=a,b')).toEqual(['a', 'b']);
    expect(await sourcesOf(`source=${encodeURIComponent('a\\,b,b')}`)).toEqual(['a,b', 'b']);
    // Any other backslash is literal, so names with backslashes read as before; `\\` is one.
    expect(await sourcesOf(`source=${encodeURIComponent('C:\\app')}`)).toEqual(['C:\\app']);
    expect(await sourcesOf(`source=${encodeURIComponent('x\\\\,a')}`)).toEqual(['a', 'x\\']);
  });

  it('is selected alone by the histogram too', async () => {
    const { status, body } = await getJson<{ buckets: { counts: Record<string, number> }[] }>(
      server.url,
      `/api/histogram?since=0&buckets=1&source=${encodeURIComponent('a\\,b')}`,
    );
    expect(status).toBe(200);
    expect(body.buckets.reduce((sum, bucket) => sum + (bucket.counts.info ?? 0), 0)).toBe(7);
  });
});
