import type { GapEvent, StreamInfo } from '@livelog/protocol';
import { postStreamLogs, requestJson, startServer, streamPath, type TestServer, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchPages } from '../src/commands/search-pages.js';

// Regression: search pages forward with `after=<next>`; when retention removed entries past that
// cursor between two pages, the next page started at the oldest kept entry and nothing said so.
let server: TestServer;

beforeAll(async () => {
  server = await startServer();
  expect((await requestJson(server.url, 'PUT', streamPath('gappy'), { retention: { maxEntries: 3 } })).status).toBe(200);
  const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ msg: `r${i + 1}` }));
  expect((await postStreamLogs(server.url, 'gappy', lines.join('\n'))).status).toBe(200);
  await waitFor(async () => ((await requestJson(server.url, 'GET', streamPath('gappy'))).body as StreamInfo).entries === 3, {
    timeoutMs: 15_000,
    what: 'retention of the stream to keep 3 entries',
  });
});
afterAll(() => server.close());

describe('matchPages (search) after a cursor retention passed', () => {
  it('reports the gap the server names, then reads on', async () => {
    const info = (await requestJson(server.url, 'GET', streamPath('gappy', '/logs?from=start'))).body as { entries: { id: string }[] };
    const stream = (info.entries[0]?.id ?? '').split(':')[0];
    const gaps: GapEvent[] = [];
    const seqs: number[] = [];
    const pages = matchPages({
      url: server.url,
      stream: 'gappy',
      filter: {},
      reverse: false,
      from: `${stream}:1`,
      onGap: (gap) => gaps.push(gap),
    });
    for await (const page of pages) seqs.push(...page.entries.map((entry) => entry.seq));
    expect(seqs).toEqual([8, 9, 10]);
    expect(gaps).toEqual([{ after: `${stream}:1`, resumeAt: `${stream}:7`, missed: 6, fromSeq: 2, toSeq: 7, reason: 'retention' }]);
  });
});
