import { fetchContext, fetchHistory, LivelogClientError } from '@livelog/client';
import { ingest, postLogs, startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ tokens: ['history-read-1:read', 'history-write-1:ingest'] });
  await ingest(server.url, 25, 'line', { authorization: 'Bearer history-write-1' });
  await postLogs(server.url, `${JSON.stringify({ msg: 'a warning', level: 'warn' })}\n`, 'application/x-ndjson', {
    authorization: 'Bearer history-write-1',
  });
});
afterAll(async () => {
  await server.close();
});

describe('fetchHistory', () => {
  const url = (): string => server.url;
  const token = 'history-read-1';

  it('pages back from the newest with before, ascending within each page, until hasMore is false', async () => {
    const seen: number[] = [];
    let page = await fetchHistory({ url: url(), token, limit: 10 });
    seen.unshift(...page.entries.map((entry) => entry.seq));
    while (page.hasMore) {
      page = await fetchHistory({ url: url(), token, limit: 10, before: page.entries[0]?.id as string });
      seen.unshift(...page.entries.map((entry) => entry.seq));
    }
    expect(seen).toEqual(Array.from({ length: 26 }, (_, i) => i + 1));
  });

  it('pages forward with after and fromStart, with the stream filters', async () => {
    const first = await fetchHistory({ url: url(), token, fromStart: true, limit: 5 });
    expect(first.entries.map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5]);
    const next = await fetchHistory({ url: url(), token, after: first.entries[4]?.id as string, limit: 5 });
    expect(next.entries.map((entry) => entry.seq)).toEqual([6, 7, 8, 9, 10]);
    const warnings = await fetchHistory({ url: url(), token, fromStart: true, filter: { level: 'warn' } });
    expect(warnings).toMatchObject({ entries: [{ seq: 26, msg: 'a warning' }], hasMore: false });
  });

  it('throws coded errors: 401 without a token, 409 for an id of another stream', async () => {
    await expect(fetchHistory({ url: url() })).rejects.toMatchObject({ code: 'LIVELOG_CLIENT_ERR_UNAUTHORIZED', status: 401 });
    const foreign = await fetchHistory({ url: url(), token, before: 'otherstream:5' }).catch((error: unknown) => error);
    expect(foreign).toBeInstanceOf(LivelogClientError);
    expect(foreign).toMatchObject({ status: 409, serverCode: 'LIVELOG_ERR_CURSOR_FOREIGN', fatal: true });
    await expect(fetchHistory({ url: 'http://127.0.0.1:9', token })).rejects.toMatchObject({ code: 'LIVELOG_CLIENT_ERR_NETWORK' });
  });
});

describe('fetchContext', () => {
  const token = 'history-read-1';

  it('reads the entries around an id, unfiltered, the anchor included; an id not retained throws NO_ENTRY', async () => {
    const warning = (await fetchHistory({ url: server.url, token, fromStart: true, filter: { level: 'warn' } })).entries[0];
    const id = warning?.id ?? '';
    const around = await fetchContext({ url: server.url, token, around: id, before: 2, after: 3 });
    expect(around.entries.map((entry) => entry.seq)).toEqual([24, 25, 26]);
    expect(around).toMatchObject({ anchor: id, hasBefore: true, hasAfter: false });
    const stream = id.split(':')[0];
    const error = await fetchContext({ url: server.url, token, around: `${stream}:99` }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LivelogClientError);
    expect(error).toMatchObject({ code: 'LIVELOG_CLIENT_ERR_BAD_REQUEST', status: 404, serverCode: 'LIVELOG_ERR_NO_ENTRY' });
    await expect(fetchContext({ url: server.url, around: id })).rejects.toMatchObject({
      code: 'LIVELOG_CLIENT_ERR_UNAUTHORIZED',
    });
  });
});
