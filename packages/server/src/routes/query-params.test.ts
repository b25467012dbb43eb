import { MemoryStore } from '@livelog/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livelog } from '../plugin.js';
import { parseCursorParam, parseFilter, parseIntParam, parseSince, parseStart, queryOf } from './query-params.js';

const q = (text: string): URLSearchParams => new URLSearchParams(text);

describe('query parameters', () => {
  it('reads the filter: a minimum level (names, aliases, pino numbers), sources and text', () => {
    expect(parseFilter(q(''))).toEqual({});
    expect(parseFilter(q('level=WARNING&source=a,b&source=c&source=a&q=Disk full'))).toEqual({
      level: 'warn',
      sources: ['a', 'b', 'c'],
      query: {
        type: 'and',
        children: [
          { type: 'text', value: 'Disk', quoted: false },
          { type: 'text', value: 'full', quoted: false },
        ],
      },
    });
    expect(parseFilter(q('q=%20%20'))).toEqual({});
    expect(parseFilter(q('level=50')).level).toBe('error');
    expect(() => parseFilter(q('level=loud'))).toThrow(expect.objectContaining({ code: 'LIVELOG_ERR_QUERY_BAD_PARAM', param: 'level' }));
    expect(() => parseFilter(q(`q=${'x'.repeat(4097)}`))).toThrow(expect.objectContaining({ code: 'LIVELOG_ERR_BAD_QUERY', param: 'q' }));
    expect(() => parseFilter(q('q=%22open'))).toThrow(
      expect.objectContaining({
        code: 'LIVELOG_ERR_BAD_QUERY',
        message: 'q: unbalanced quote: no closing " before the end of the query (at position 0)',
      }),
    );
    const many = Array.from({ length: 101 }, (_, i) => `s${i}`).join(',');
    expect(() => parseFilter(q(`source=${many}`))).toThrow(expect.objectContaining({ param: 'source' }));
  });

  it('reads the start: the header wins over the query id, and every form of since, tail and from', () => {
    expect(parseStart(q(''), undefined)).toEqual({});
    expect(parseStart(q('lastEventId=s:3'), 's:9')).toEqual({ lastEventId: 's:9' });
    expect(parseStart(q('evs_last_event_id=s:4'), undefined)).toEqual({ lastEventId: 's:4' });
    expect(parseStart(q('lastEventId=&last_event_id=s:5'), '')).toEqual({ lastEventId: 's:5' });
    // The last one: what a polyfill appended to the page's URL.
    expect(parseStart(q('lastEventId=s:3&evs_last_event_id=s:8&level=info'), undefined)).toEqual({ lastEventId: 's:8' });
    expect(parseStart(q('lastEventId=s:3&lastEventId=s:8&lastEventId='), undefined)).toEqual({ lastEventId: 's:8' });
    expect(parseStart(q('tail=25'), undefined)).toEqual({ tail: 25 });
    expect(parseStart(q('tail=all'), undefined)).toEqual({ fromStart: true });
    expect(parseStart(q('from=start'), undefined)).toEqual({ fromStart: true });
    expect(parseStart(q('from=end'), undefined)).toEqual({ fromEnd: true });
    expect(parseStart(q('since=1714564800000'), undefined)).toEqual({ since: 1_714_564_800_000 });
    for (const [text, param] of [
      ['tail=-1', 'tail'],
      ['tail=1.5', 'tail'],
      ['from=middle', 'from'],
    ]) {
      expect(() => parseStart(q(text as string), undefined)).toThrow(
        expect.objectContaining({ code: 'LIVELOG_ERR_QUERY_BAD_PARAM', param }),
      );
    }
    expect(() => parseStart(q('since=1h30'), undefined)).toThrow(
      expect.objectContaining({ code: 'LIVELOG_ERR_QUERY_BAD_TIME', param: 'since' }),
    );
  });

  it('reads since as epoch ms, ISO 8601, or a duration back from now in the one grammar', () => {
    const now = Date.UTC(2024, 4, 1, 12);
    expect(parseSince('1h30m', now)).toBe(now - 5_400_000);
    expect(parseSince('90s', now)).toBe(now - 90_000);
    expect(parseSince('2024-05-01T10:00:00Z', now)).toBe(Date.UTC(2024, 4, 1, 10));
    expect(parseSince('1714564800000', now)).toBe(1_714_564_800_000);
  });

  it('reads a cursor of this stream, and tells malformed from foreign', () => {
    expect(parseCursorParam('after', 'abc:12', 'abc')).toEqual({ stream: 'abc', seq: 12 });
    expect(() => parseCursorParam('after', 'abc:012', 'abc')).toThrow(expect.objectContaining({ code: 'LIVELOG_ERR_CURSOR_MALFORMED' }));
    expect(() => parseCursorParam('before', 'xyz:3', 'abc')).toThrow(expect.objectContaining({ code: 'LIVELOG_ERR_CURSOR_FOREIGN' }));
  });

  it('reads whole numbers within bounds, with a default', () => {
    expect(parseIntParam(q(''), 'limit', 1, 1000, 200)).toBe(200);
    expect(parseIntParam(q('limit=1000'), 'limit', 1, 1000, 200)).toBe(1000);
    for (const value of ['0', '1001', '1e3', '-5', 'ten']) {
      expect(() => parseIntParam(q(`limit=${value}`), 'limit', 1, 1000, 200)).toThrow(expect.objectContaining({ param: 'limit' }));
    }
    expect(queryOf('/api/logs?a=1&b=2').get('b')).toBe('2');
    expect(queryOf(undefined).toString()).toBe('');
  });
});

describe('query parameters through the routes (Fastify inject)', () => {
  let app: FastifyInstance;
  let stream: string;

  beforeAll(async () => {
    const store = new MemoryStore({ streamId: 'qp' });
    app = Fastify();
    await app.register(livelog, { store, processMetrics: false });
    await app.ready();
    stream = store.streamId;
    for (let n = 1; n <= 12; n++) {
      const level = n % 4 === 0 ? 'error' : 'info';
      const source = n % 2 === 0 ? 'even' : 'odd';
      await app.inject({
        method: 'POST',
        url: `/api/logs?source=${source}&level=${level}`,
        headers: { 'content-type': 'text/plain' },
        payload: `line ${n}\n`,
      });
    }
  });
  afterAll(() => app.close());

  const page = async (query: string): Promise<{ status: number; seqs: number[]; hasMore: boolean; body: Record<string, unknown> }> => {
    const reply = await app.inject({ url: `/api/logs?${query}` });
    const body = reply.json();
    return { status: reply.statusCode, seqs: (body.entries ?? []).map((entry: { seq: number }) => entry.seq), hasMore: body.hasMore, body };
  };

  it('pages history by position, limit and filter', async () => {
    expect(await page('limit=5')).toMatchObject({ status: 200, seqs: [8, 9, 10, 11, 12], hasMore: true });
    expect(await page(`after=${stream}:10`)).toMatchObject({ seqs: [11, 12], hasMore: false });
    expect(await page(`before=${stream}:4&limit=2`)).toMatchObject({ seqs: [2, 3], hasMore: true });
    expect(await page('from=start&limit=3')).toMatchObject({ seqs: [1, 2, 3], hasMore: true });
    expect(await page('level=error')).toMatchObject({ seqs: [4, 8, 12], hasMore: false });
    expect(await page('source=odd&q=LINE 1')).toMatchObject({ seqs: [1, 11] });
  });

  it('answers each bad parameter with its code, status and name', async () => {
    const cases: [string, number, string, string | undefined][] = [
      ['limit=0', 400, 'LIVELOG_ERR_QUERY_BAD_PARAM', 'limit'],
      ['limit=1001', 400, 'LIVELOG_ERR_QUERY_BAD_PARAM', 'limit'],
      ['from=end', 400, 'LIVELOG_ERR_QUERY_BAD_PARAM', 'from'],
      ['level=loud', 400, 'LIVELOG_ERR_QUERY_BAD_PARAM', 'level'],
      ['after=nonsense', 400, 'LIVELOG_ERR_CURSOR_MALFORMED', 'after'],
      ['before=other:3', 409, 'LIVELOG_ERR_CURSOR_FOREIGN', 'before'],
    ];
    for (const [query, status, code, param] of cases) {
      const reply = await page(query);
      expect(reply.status, query).toBe(status);
      expect(reply.body, query).toEqual({ error: { code, message: expect.any(String), param } });
    }
    for (const query of ['tail=x', 'since=soon', 'until=later', 'from=middle', 'level=bogus', 'source=a%0Ab']) {
      const reply = await app.inject({ url: `/api/stream?${query}` });
      expect(reply.statusCode, query).toBe(400);
      const code = /^(since|until)=/.test(query) ? 'LIVELOG_ERR_QUERY_BAD_TIME' : 'LIVELOG_ERR_QUERY_BAD_PARAM';
      expect(reply.json().error, query).toMatchObject({ code, param: query.split('=')[0] });
    }
    const ingest = await app.inject({
      method: 'POST',
      url: '/api/logs?level=loud',
      headers: { 'content-type': 'text/plain' },
      payload: 'x\n',
    });
    expect(ingest.json().error).toMatchObject({ code: 'LIVELOG_ERR_QUERY_BAD_PARAM', param: 'level' });
    expect((await page('from=start&limit=1000')).seqs).toHaveLength(12);
  });
});
