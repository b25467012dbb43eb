import {
  decodeCursor,
  type HistogramReply,
  type HistoryPage,
  type IngestReply,
  type LogEntry,
  matchEntry,
  parseQuery,
} from '@livelog/protocol';
import { postLogs, postStreamLogs, startServer, streamPath, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 13 over real sockets: an acknowledged line is found by the very next search (history and
// histogram, default and named stream), and every kind of unreadable parameter of every search route
// is a 400 with a JSON {error:{code,message}} and the same code whatever the route.
let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const seqOf = (id: string): number => {
  const decoded = decodeCursor(id);
  if (!decoded.ok) throw new Error(`not an id: ${id}`);
  return decoded.cursor.seq;
};

async function get(path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.url}${path}`);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, body };
}

describe('search sees what was acknowledged, with no lag', () => {
  it('finds every batch of 40 rounds (history and histogram, default and named stream) in the search right after its POST', async () => {
    let random = 1234;
    const next = (n: number) => {
      random = (random * 1_103_515_245 + 12_345) % 2 ** 31;
      return random % n;
    };
    for (let round = 0; round < 40; round++) {
      const named = round % 2 === 1;
      const token = `zq${round}x${next(1_000_000)}`;
      const size = 1 + next(25);
      // Noise before and after the batch, in the same stream: the search must find the batch only.
      const noise = JSON.stringify({ msg: `noise ${round}`, run: { id: -1 } });
      const batch = Array.from({ length: size }, (_, i) =>
        JSON.stringify({
          msg: `${i % 3 === 0 ? 'Alpha' : 'beta'} ${token.toUpperCase()} part ${i}`,
          level: i % 4 === 0 ? 'error' : 'info',
          run: { id: round },
        }),
      );
      const body = [noise, ...batch].join('\n');
      const since = Date.now() - 60_000;
      const reply = named ? await postStreamLogs(server.url, 'searchable', body) : await postLogs(server.url, body);
      expect(reply.status, `round ${round}`).toBe(200);
      const acked = reply.body as IngestReply;
      const last = seqOf(acked.lastId);
      const want = Array.from({ length: size }, (_, i) => last - size + 1 + i);
      const base = named ? streamPath('searchable') : '/api';
      for (const q of [token, `run.id:${round}`, `"${token} part"`, `msg:${token} -noise`]) {
        const page = await get(`${base}/logs?from=start&limit=1000&q=${encodeURIComponent(q)}`);
        expect(page.status, `round ${round}, q=${q}`).toBe(200);
        expect(
          (page.body as HistoryPage).entries.map((entry) => entry.seq),
          `round ${round}, q=${q}`,
        ).toEqual(want);
      }
      const errors = await get(`${base}/logs?from=start&limit=1000&q=${encodeURIComponent(`${token} level:error`)}`);
      expect((errors.body as HistoryPage).entries.map((entry) => entry.seq)).toEqual(want.filter((_, i) => i % 4 === 0));
      const histogram = await get(
        `${base}/histogram?since=${since}&until=${Date.now() + 60_000}&buckets=10&q=${encodeURIComponent(token)}`,
      );
      expect(histogram.status).toBe(200);
      const counts = (histogram.body as HistogramReply).buckets.flatMap((bucket) => Object.values(bucket.counts));
      expect(
        counts.reduce((sum, n) => sum + n, 0),
        `round ${round}: histogram of q=${token}`,
      ).toBe(size);
    }
  });
});

/** A bad parameter, the code it must get, and what the message must say. */
interface BadCase {
  what: string;
  query: string;
  code: string;
  message: RegExp;
}

const BAD: BadCase[] = [
  { what: 'unterminated quote', query: 'q="open', code: 'LIVELOG_ERR_BAD_QUERY', message: /unbalanced quote.*position 0/ },
  { what: 'unbalanced parenthesis', query: 'q=(a OR b', code: 'LIVELOG_ERR_BAD_QUERY', message: /unbalanced "\(".*position 0/ },
  { what: 'stray closing parenthesis', query: 'q=a)', code: 'LIVELOG_ERR_BAD_QUERY', message: /unbalanced "\)".*position 1/ },
  { what: 'OR without a term', query: 'q=a OR', code: 'LIVELOG_ERR_BAD_QUERY', message: /OR needs a term.*position 2/ },
  { what: 'NOT alone', query: 'q=NOT', code: 'LIVELOG_ERR_BAD_QUERY', message: /NOT needs a term/ },
  { what: 'empty parentheses', query: 'q=()', code: 'LIVELOG_ERR_BAD_QUERY', message: /empty parentheses/ },
  { what: 'empty phrase', query: 'q=""', code: 'LIVELOG_ERR_BAD_QUERY', message: /empty phrase/ },
  { what: 'field without a value', query: 'q=user.id:', code: 'LIVELOG_ERR_BAD_QUERY', message: /empty value for user.id:/ },
  // Regression: "(" alone was "unexpected end of query"; a query cut short says what is missing, after what.
  {
    what: 'lone parenthesis',
    query: 'q=(',
    code: 'LIVELOG_ERR_BAD_QUERY',
    message: /^q: unbalanced "\(": the query ends before a term and its "\)" \(at position 0\)$/,
  },
  {
    what: 'AND at the end',
    query: 'q=a%20AND',
    code: 'LIVELOG_ERR_BAD_QUERY',
    message: /^q: AND needs a term after it, but the query ends there \(at position 2\)$/,
  },
  {
    what: 'quote at the end',
    query: 'q=%22abc',
    code: 'LIVELOG_ERR_BAD_QUERY',
    message: /^q: unbalanced quote: no closing " before the end of the query \(at position 0\)$/,
  },
  {
    what: 'field at the end',
    query: 'q=field:',
    code: 'LIVELOG_ERR_BAD_QUERY',
    message: /^q: empty value for field:, the query ends there \(at position 6\)$/,
  },
  { what: 'unknown level in q', query: 'q=level:loud', code: 'LIVELOG_ERR_BAD_QUERY', message: /"loud" is not a level/ },
  { what: 'comparison on msg', query: 'q=msg:>a', code: 'LIVELOG_ERR_BAD_QUERY', message: /msg: takes no comparison/ },
  {
    what: 'nesting deeper than 32',
    query: `q=${'('.repeat(40)}a${')'.repeat(40)}`,
    code: 'LIVELOG_ERR_BAD_QUERY',
    message: /deeper than 32/,
  },
  // Regression: matching tries every run of a path's parts as a dotted key; two 1,000-part names held the event loop for minutes.
  {
    what: 'field name of 33 parts',
    query: `q=${'a.'.repeat(32)}a:1`,
    code: 'LIVELOG_ERR_BAD_QUERY',
    message: /more than 32 dot-separated parts/,
  },
  { what: 'query of 10 KB', query: `q=${'x'.repeat(10_240)}`, code: 'LIVELOG_ERR_BAD_QUERY', message: /longer than 4096 bytes/ },
  {
    what: 'query of 4,097 UTF-8 bytes',
    query: `q=${encodeURIComponent('é'.repeat(2048))}x`,
    code: 'LIVELOG_ERR_BAD_QUERY',
    message: /longer than 4096 bytes/,
  },
  { what: 'bad level parameter', query: 'level=loud', code: 'LIVELOG_ERR_QUERY_BAD_PARAM', message: /^level: / },
  { what: 'bad since', query: 'since=yesterday', code: 'LIVELOG_ERR_QUERY_BAD_TIME', message: /^since: / },
  { what: 'bad until', query: 'until=2026-13-45T99:00:00Z', code: 'LIVELOG_ERR_QUERY_BAD_TIME', message: /^until: / },
  // Regression: a duration reaching back before 1970 was taken (as "everything") while since=-1 was a 400.
  { what: 'since before 1970', query: 'since=9999999d', code: 'LIVELOG_ERR_QUERY_BAD_TIME', message: /^since: 9999999d .*before 1970/ },
  { what: 'until before 1970', query: 'until=99999w', code: 'LIVELOG_ERR_QUERY_BAD_TIME', message: /^until: 99999w .*before 1970/ },
  {
    what: 'bad source parameter',
    query: `source=${encodeURIComponent('a\u0000b')}`,
    code: 'LIVELOG_ERR_QUERY_BAD_PARAM',
    message: /^source: /,
  },
];

const ROUTES = [
  '/api/logs',
  '/api/stream',
  '/api/histogram',
  streamPath('searchable', '/logs'),
  streamPath('searchable', '/stream'),
  streamPath('searchable', '/histogram'),
];

describe('unreadable search parameters', () => {
  it.each(ROUTES)('%s answers each with 400 {error:{code,message}}, one stable code per kind', async (route) => {
    // The named stream must exist for its routes to reach the parameters.
    await postStreamLogs(server.url, 'searchable', JSON.stringify({ msg: 'exists' }));
    for (const bad of BAD) {
      const reply = await get(`${route}?${bad.query}`);
      const where = `${route} ${bad.what}`;
      expect(reply.status, where).toBe(400);
      const error = (reply.body as { error: { code: string; message: string; param?: string } }).error;
      expect(error, where).toEqual(expect.objectContaining({ code: bad.code, message: expect.any(String) }));
      expect(error.message, where).toMatch(bad.message);
      expect(error.param, where).toBe(bad.query.slice(0, bad.query.indexOf('=')));
    }
  });

  it.each(['/api/seek', streamPath('searchable', '/seek')])('%s refuses a time before 1970 as it refuses a bad one', async (route) => {
    await postStreamLogs(server.url, 'searchable', JSON.stringify({ msg: 'exists' }));
    for (const time of ['9999999d', '-1']) {
      const reply = await get(`${route}?time=${time}`);
      expect(reply.status, time).toBe(400);
      expect(reply.body, time).toMatchObject({ error: { code: 'LIVELOG_ERR_QUERY_BAD_TIME', param: 'time' } });
    }
  });

  it('answers a query it can read but that names no such field with 200 and no match, not an error', async () => {
    // A field is any JSON path; a missing one never matches (query-language.md), so it is not refused.
    const page = await get(`/api/logs?from=start&q=${encodeURIComponent('no.such.field:x')}`);
    expect(page.status).toBe(200);
    expect((page.body as HistoryPage).entries).toEqual([]);
    const negated = await get(`/api/logs?from=start&limit=5&q=${encodeURIComponent('-no.such.field:x')}`);
    expect((negated.body as HistoryPage).entries.length).toBeGreaterThan(0);
  });

  it('treats an empty or blank q as no filter', async () => {
    const all = await get('/api/logs?from=start&limit=1000');
    for (const q of ['', '%20%20', '%09']) {
      const page = await get(`/api/logs?from=start&limit=1000&q=${q}`);
      expect(page.status, `q=${q}`).toBe(200);
      expect((page.body as HistoryPage).entries.length, `q=${q}`).toBe((all.body as HistoryPage).entries.length);
    }
  });

  it('refuses a bad time on /api/seek with the same code', async () => {
    for (const path of ['/api/seek?time=soon', `${streamPath('searchable', '/seek')}?time=soon`]) {
      const reply = await get(path);
      expect(reply.status, path).toBe(400);
      expect((reply.body as { error: { code: string } }).error.code, path).toBe('LIVELOG_ERR_QUERY_BAD_TIME');
    }
  });
});

describe('GET /api/streams/{name}/histogram against a brute-force count', () => {
  it('counts per bucket and level what the stored lines hold, with and without q, on 30 random ranges', async () => {
    let random = 99;
    const next = (n: number) => {
      random = (random * 1_103_515_245 + 12_345) % 2 ** 31;
      return random % n;
    };
    const start = Date.now() - 3 * 3_600_000;
    const words = ['timeout', 'Reset', 'payment', 'ok', 'é'];
    const levels = ['debug', 'info', 'warn', 'error'];
    const body = Array.from({ length: 3000 }, (_, i) =>
      JSON.stringify({
        time: start + i * 3000 + next(3000),
        level: levels[next(4)],
        msg: `${words[next(5)]} ${words[next(5)]}`,
        n: next(100),
      }),
    ).join('\n');
    expect((await postStreamLogs(server.url, 'hist', body)).status).toBe(200);
    const stored: LogEntry[] = [];
    for (let after = ''; ; ) {
      const page = (await get(`${streamPath('hist', '/logs')}?limit=1000&${after === '' ? 'from=start' : `after=${after}`}`))
        .body as HistoryPage;
      stored.push(...page.entries);
      if (!page.hasMore || page.next === undefined) break;
      after = encodeURIComponent(page.next);
    }
    expect(stored).toHaveLength(3000);
    const span = (stored[stored.length - 1] as LogEntry).time - start;
    for (let round = 0; round < 30; round++) {
      const since = start - 60_000 + next(span);
      const until = since + 1000 + next(span);
      const buckets = 1 + next(200);
      const q = round % 3 === 0 ? '' : ['timeout', 'reset -ok', 'n:<10', 'é OR payment'][next(4)];
      const path = `${streamPath('hist', '/histogram')}?since=${since}&until=${until}&buckets=${buckets}&q=${encodeURIComponent(q as string)}`;
      const reply = await get(path);
      expect(reply.status, path).toBe(200);
      const histogram = reply.body as HistogramReply;
      expect(histogram.partial, path).toBeUndefined();
      expect(histogram.buckets.length, path).toBeLessThanOrEqual(buckets);
      const node = parseQuery(q as string);
      const expected = histogram.buckets.map(() => ({}) as Record<string, number>);
      for (const entry of stored) {
        if (entry.time < histogram.since || entry.time >= histogram.until || !matchEntry(node, entry)) continue;
        const bucket = expected[Math.floor((entry.time - histogram.since) / histogram.bucketMs)] as Record<string, number>;
        bucket[entry.level] = (bucket[entry.level] ?? 0) + 1;
      }
      expect(histogram.since, path).toBeLessThanOrEqual(since);
      expect(histogram.until, path).toBeGreaterThanOrEqual(until);
      expect(
        histogram.buckets.map((bucket) => bucket.counts),
        path,
      ).toEqual(expected);
    }
  });
});
