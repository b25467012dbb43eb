import { fetchHistory } from '@livelog/client';
import { postLogs, startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A source may hold a comma or a backslash; the client must ask for exactly the names it is given.
let server: TestServer;
const SOURCES = ['a', 'b', 'a,b', 'C:\\app', 'x\\', ',lead'];

beforeAll(async () => {
  server = await startServer();
  const records = Array.from({ length: 24 }, (_, i) => ({ msg: `m${i}`, source: SOURCES[i % SOURCES.length] }));
  await postLogs(server.url, records.map((record) => JSON.stringify(record)).join('\n'));
});
afterAll(() => server.close());

describe('filter.source with commas in a name', () => {
  it('reads each name alone, and several names together', async () => {
    for (const name of SOURCES) {
      const page = await fetchHistory({ url: server.url, fromStart: true, filter: { source: name } });
      expect(new Set(page.entries.map((entry) => entry.source))).toEqual(new Set([name]));
      expect(page.entries).toHaveLength(4);
    }
    const both = await fetchHistory({ url: server.url, fromStart: true, filter: { source: ['a,b', 'x\\'] } });
    expect(new Set(both.entries.map((entry) => entry.source))).toEqual(new Set(['a,b', 'x\\']));
  });
});
