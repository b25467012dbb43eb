import { fetchSources, LivelogClientError } from '@livelog/client';
import { postLogs, startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: TestServer;
const write = { authorization: 'Bearer sources-write-1' };
const token = 'sources-read-1';

beforeAll(async () => {
  server = await startServer({ tokens: [`${token}:read`, 'sources-write-1:ingest'], basePath: '/logs' });
  const lines = [
    { msg: 'a', source: 'api', time: 1_700_000_000_000 },
    { msg: 'b', source: 'worker', time: 1_700_000_000_100 },
    { msg: 'c', source: 'api', time: 1_700_000_000_200 },
    { msg: 'd', source: 'db', time: 1_700_000_000_300 },
  ];
  const reply = await postLogs(server.url, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`, 'application/x-ndjson', write);
  expect(reply.status).toBe(200);
});
afterAll(async () => {
  await server.close();
});

describe('fetchSources', () => {
  it('lists every source with its count, newest seq and time (under a base path)', async () => {
    expect(server.url.endsWith('/logs')).toBe(true);
    const sources = await fetchSources({ url: server.url, token });
    expect([...sources].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'api', entries: 2, lastSeq: 3, lastTime: 1_700_000_000_200 },
      { name: 'db', entries: 1, lastSeq: 4, lastTime: 1_700_000_000_300 },
      { name: 'worker', entries: 1, lastSeq: 2, lastTime: 1_700_000_000_100 },
    ]);
  });

  it("follows the server's pages (`next`), up to maxSources", async () => {
    const urls: string[] = [];
    const counting: typeof fetch = (input, init) => {
      urls.push(String(input));
      return fetch(input, init);
    };
    const paged = await fetchSources({ url: server.url, token, pageSize: 2, fetch: counting });
    expect(paged.map((source) => source.name)).toEqual(['api', 'db', 'worker']);
    expect(urls.map((url) => new URL(url).search)).toEqual(['?limit=2', '?after=db&limit=2']);
    const capped = await fetchSources({ url: server.url, token, pageSize: 1, maxSources: 2 });
    expect(capped.map((source) => source.name)).toEqual(['api', 'db']);
  });

  it('throws coded errors: 401 without a token, 403 with a token lacking read, network failures and aborts', async () => {
    await expect(fetchSources({ url: server.url })).rejects.toMatchObject({
      code: 'LIVELOG_CLIENT_ERR_UNAUTHORIZED',
      status: 401,
      fatal: true,
    });
    await expect(fetchSources({ url: server.url, token: 'sources-write-1' })).rejects.toMatchObject({
      code: 'LIVELOG_CLIENT_ERR_FORBIDDEN',
      status: 403,
    });
    const refused = await fetchSources({ url: 'http://127.0.0.1:9', token }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LivelogClientError);
    expect(refused).toMatchObject({ code: 'LIVELOG_CLIENT_ERR_NETWORK', fatal: false });
    const aborted = await fetchSources({ url: server.url, token, signal: AbortSignal.abort() }).catch((error: unknown) => error);
    expect(aborted).toMatchObject({ code: 'LIVELOG_CLIENT_ERR_NETWORK' });
    expect((aborted as Error).cause).toMatchObject({ name: 'AbortError' });
  });
});
