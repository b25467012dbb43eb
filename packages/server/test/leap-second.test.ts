import type { HistoryPage, SeekReply } from '@livelog/protocol';
import { getJson, postLogs, startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// RFC 3339 allows a leap second (`23:59:60`); a text line's leading timestamp was read as the second
// before it, while the same time in a JSON record refused the whole batch and in `since` was a 400.
let server: TestServer;
const LEAP = '2016-12-31T23:59:60Z';
const BEFORE = Date.UTC(2016, 11, 31, 23, 59, 59);

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

describe('a leap second', () => {
  it('in a record time is stored as the second before it, like in a text line', async () => {
    const json = await postLogs(server.url, JSON.stringify({ msg: 'json leap', time: '2016-12-31T23:59:60.250Z' }), 'application/json');
    expect(json.status).toBe(200);
    const text = await postLogs(server.url, `${LEAP} text leap\n`, 'text/plain');
    expect(text.status).toBe(200);
    const { body } = await getJson<HistoryPage>(server.url, '/api/logs?from=start');
    expect(body.entries.map((entry) => [entry.msg, entry.time])).toEqual([
      ['json leap', BEFORE + 250],
      [`${LEAP} text leap`, BEFORE],
    ]);
  });

  it('in since, until and seek reads as the second before it', async () => {
    const page = await getJson<HistoryPage>(server.url, `/api/logs?from=start&since=${LEAP}`);
    expect(page.status).toBe(200);
    expect(page.body.entries.map((entry) => entry.msg)).toEqual(['json leap', `${LEAP} text leap`]);
    const until = await getJson<HistoryPage>(
      server.url,
      `/api/logs?from=start&until=${encodeURIComponent('2017-01-01T00:59:60.300+01:00')}`,
    );
    expect(until.status).toBe(200);
    expect(until.body.entries.map((entry) => entry.msg)).toEqual(['json leap', `${LEAP} text leap`]);
    const seek = await getJson<SeekReply>(server.url, `/api/seek?time=${LEAP}`);
    expect(seek).toMatchObject({ status: 200, body: { seq: 1 } });
  });
});
