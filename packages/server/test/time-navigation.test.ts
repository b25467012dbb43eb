import { join } from 'node:path';
import { openStream } from '@livelog/client';
import type { ContextReply, HistogramReply, HistoryPage, LogEntry, SeekReply } from '@livelog/protocol';
import { getJson, openSse, postStreamLogs, type SseConnection, startServer, type TestServer, waitFor } from '@livelog/test-utils';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 13 items 2-4 on a real server, real sockets and a real SQLite file.
let server: TestServer;
const MINUTE = 60_000;
const now0 = Date.now();
/** 120 entries one minute apart, the last one about a minute ago. */
const T0 = Math.floor((now0 - 121 * MINUTE) / MINUTE) * MINUTE + 30_000;
const LEVELS = ['info', 'warn', 'error', 'debug'] as const;

const logs = (stream: string, query: string) => getJson<HistoryPage>(server.url, `/api/streams/${stream}/logs${query}`);
const seqs = (page: HistoryPage) => page.entries.map((entry) => entry.seq);
const post = async (stream: string, records: object[]) => {
  const reply = await postStreamLogs(server.url, stream, records.map((record) => JSON.stringify(record)).join('\n'));
  expect(reply.status).toBe(200);
};
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

beforeAll(async () => {
  server = await startServer();
  await post(
    'minutes',
    range(0, 119).map((i) => ({ msg: `m${i}`, time: T0 + i * MINUTE, level: LEVELS[i % 4] })),
  );
});
afterAll(() => server.close());

describe('since and until on history', () => {
  it('bounds by time given as epoch ms, ISO 8601 and RFC 3339 with an offset', async () => {
    const since = T0 + 10 * MINUTE;
    const until = T0 + 20 * MINUTE;
    const iso = (t: number) => encodeURIComponent(new Date(t).toISOString());
    const rfcOffset = (t: number) => encodeURIComponent(new Date(t + 2 * 3_600_000).toISOString().replace('Z', '+02:00'));
    for (const query of [
      `since=${since}&until=${until}`,
      `since=${iso(since)}&until=${iso(until)}`,
      `since=${rfcOffset(since)}&until=${rfcOffset(until)}`,
    ]) {
      const page = (await logs('minutes', `?${query}&from=start`)).body;
      expect(seqs(page), query).toEqual(range(11, 20));
      expect(page.hasMore).toBe(false);
    }
    // Newest first page of the range, and paging back within it.
    const newest = (await logs('minutes', `?since=${since}&until=${until}&limit=3`)).body;
    expect(seqs(newest)).toEqual([18, 19, 20]);
    const back = (
      await logs('minutes', `?since=${since}&until=${until}&limit=20&before=${encodeURIComponent(newest.entries[0]?.id ?? '')}`)
    ).body;
    expect(seqs(back)).toEqual(range(11, 17));
    // An exact boundary: since is inclusive, until exclusive.
    expect(seqs((await logs('minutes', `?since=${T0 + 5 * MINUTE}&until=${T0 + 6 * MINUTE}`)).body)).toEqual([6]);
    expect(seqs((await logs('minutes', `?since=${T0 + 5 * MINUTE + 1}&until=${T0 + 6 * MINUTE + 1}`)).body)).toEqual([7]);
  });

  it('bounds by a duration back from now (15m, 1h30m)', async () => {
    for (const [text, ms] of [
      ['15m', 15 * MINUTE],
      ['1h30m', 90 * MINUTE],
    ] as const) {
      const before = Date.now();
      const page = (await logs('minutes', `?since=${text}&from=start&limit=1000`)).body;
      const after = Date.now();
      const expected = (now: number) => range(1, 120).filter((seq) => T0 + (seq - 1) * MINUTE >= now - ms);
      expect([JSON.stringify(expected(before)), JSON.stringify(expected(after))], text).toContain(JSON.stringify(seqs(page)));
      expect(page.entries.length).toBeGreaterThan(0);
    }
  });

  it('answers a time that is none of those with 400 LIVELOG_ERR_QUERY_BAD_TIME', async () => {
    for (const path of ['/api/logs?since=yesterday', '/api/logs?until=1h30', '/api/histogram?since=soon', '/api/seek?time=2026-13-45']) {
      const reply = await getJson<{ error: { code: string; param: string } }>(server.url, path);
      expect(reply.status, path).toBe(400);
      expect(reply.body.error.code, path).toBe('LIVELOG_ERR_QUERY_BAD_TIME');
    }
  });

  it('answers since not before until with the 400 histogram answers, not an empty page', async () => {
    // Regression: history answered 200 with no entries where histogram answered 400 for the same range.
    const ranges = [`since=${T0 + 2 * MINUTE}&until=${T0 + MINUTE}`, `since=${T0}&until=${T0}`, 'since=10m&until=1h'];
    for (const range of ranges) {
      const paths = [`/api/logs?${range}`, `/api/streams/minutes/logs?${range}&from=start`, `/api/histogram?${range}`];
      // The stream, too: it would open, replay nothing and end at once.
      paths.push(`/api/stream?${range}`, `/api/streams/minutes/stream?${range}`);
      for (const path of paths) {
        const reply = await getJson<{ error: { code: string; param: string; message: string } }>(server.url, path);
        expect(reply.status, path).toBe(400);
        expect(reply.body.error, path).toEqual({
          code: 'LIVELOG_ERR_QUERY_BAD_TIME',
          param: 'since',
          message: 'since: must be before until',
        });
      }
    }
  });
});

describe('until on the stream', () => {
  it('replays up to a past until, then sends close {reason:"until", retryable:false} and ends', async () => {
    const events: { event: string; data: string }[] = [];
    let ended = false;
    const connection: SseConnection = openSse(
      `${server.url}/api/streams/minutes/stream?from=start&until=${T0 + 20 * MINUTE}`,
      {},
      {
        onEvent: (message) => events.push({ event: message.type, data: message.data }),
        onEnd: () => {
          ended = true;
        },
      },
    );
    await waitFor(() => ended, { timeoutMs: 10_000 });
    connection.close();
    const entries = events.filter((e) => e.event === 'message').map((e) => (JSON.parse(e.data) as LogEntry).seq);
    expect(entries).toEqual(range(1, 20));
    const close = events[events.length - 1];
    expect(close?.event).toBe('close');
    expect(JSON.parse(close?.data ?? '{}')).toEqual({ reason: 'until', retryable: false });
  });

  it('ends the client library’s iterator without an error and without reconnecting', async () => {
    const stream = openStream({
      url: server.url,
      stream: 'minutes',
      start: { fromStart: true },
      until: T0 + 30 * MINUTE,
      filter: { level: 'warn' },
    });
    const got: LogEntry[] = [];
    for await (const entry of stream) got.push(entry);
    expect(got.map((entry) => entry.seq)).toEqual(
      range(1, 30).filter((seq) => ['warn', 'error'].includes(LEVELS[(seq - 1) % 4] as string)),
    );
    // Give a reconnect every chance to happen: it must not.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(stream.stats().reconnects).toBe(0);
    expect(stream.status.state).toBe('closed');
    expect(stream.status.error).toBeUndefined();
  });

  it('closes a live reader when the clock reaches a future until', async () => {
    await post('live-until', [{ msg: 'first' }]);
    const stream = openStream({ url: server.url, stream: 'live-until', start: { fromStart: true }, until: Date.now() + 1500 });
    const got: string[] = [];
    const done = (async () => {
      for await (const entry of stream) got.push(entry.msg);
    })();
    await waitFor(() => got.length === 1);
    await post('live-until', [{ msg: 'live, before until' }]);
    await done;
    expect(got).toEqual(['first', 'live, before until']);
    expect(stream.status.error).toBeUndefined();
  });
});

describe('GET /api/seek', () => {
  it('finds the first entry at or after a time, exactly on and around boundaries', async () => {
    const t = T0;
    // Two entries share each of the first two times.
    await post(
      'seek',
      [0, 0, 1000, 1000, 2000].map((offset, i) => ({ msg: `s${i + 1}`, time: t + offset })),
    );
    const seek = async (time: number | string) => (await getJson<SeekReply>(server.url, `/api/streams/seek/seek?time=${time}`)).body;
    const cases: [number, number][] = [
      [t - 1, 1],
      [t, 1],
      [t + 1, 3],
      [t + 999, 3],
      [t + 1000, 3],
      [t + 1001, 5],
      [t + 2000, 5],
      [t + 99_000, 5],
    ];
    for (const [time, seq] of cases) {
      const reply = await seek(time);
      expect(reply.seq, String(time - t)).toBe(seq);
      expect(reply.id.endsWith(`:${seq}`)).toBe(true);
    }
    expect((await seek(encodeURIComponent(new Date(t + 1).toISOString()))).time).toBe(t + 1000);
    const minutes = (await getJson<SeekReply>(server.url, `/api/streams/minutes/seek?time=${T0 + 42 * MINUTE - 1}`)).body;
    expect(minutes).toMatchObject({ seq: 43, time: T0 + 42 * MINUTE });
  });

  it('answers 404 LIVELOG_ERR_NO_ENTRY for a stream that retains nothing, 400 without time', async () => {
    const empty = await getJson<{ error: { code: string } }>(server.url, `/api/seek?time=${T0}`);
    expect(empty.status).toBe(404);
    expect(empty.body.error.code).toBe('LIVELOG_ERR_NO_ENTRY');
    expect((await getJson(server.url, '/api/streams/seek/seek')).status).toBe(400);
  });
});

describe('GET /api/histogram', () => {
  const STREAM = 'random';
  const entries: { time: number; level: string; source: string }[] = [];

  beforeAll(async () => {
    // Random data: times rising by random steps (ties included) over about three hours.
    let seed = 13;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let time = now0 - 3 * 3_600_000;
    for (let i = 0; i < 4000; i++) {
      time += Math.floor(random() * 5000);
      entries.push({ time, level: LEVELS[Math.floor(random() * 4)] as string, source: random() < 0.3 ? 'db' : 'api' });
    }
    for (let i = 0; i < entries.length; i += 500) {
      await post(
        STREAM,
        entries.slice(i, i + 500).map((e, j) => ({ msg: `r${i + j}`, ...e })),
      );
    }
  });

  const brute = (reply: HistogramReply, keep: (e: (typeof entries)[number]) => boolean) =>
    reply.buckets.map((bucket) => {
      const counts: Record<string, number> = {};
      for (const e of entries) {
        if (e.time >= bucket.start && e.time < bucket.start + reply.bucketMs && keep(e)) counts[e.level] = (counts[e.level] ?? 0) + 1;
      }
      return counts;
    });

  it('counts equal a brute-force count on random ranges and filters', async () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const first = entries[0]?.time ?? 0;
    const last = entries[entries.length - 1]?.time ?? 0;
    const order = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
    for (let round = 0; round < 40; round++) {
      const a = first - 60_000 + Math.floor(random() * (last - first + 120_000));
      const b = first - 60_000 + Math.floor(random() * (last - first + 120_000));
      const since = Math.min(a, b);
      const until = Math.max(a, b) + 1;
      const buckets = 1 + Math.floor(random() * 120);
      const kind = Math.floor(random() * 3);
      const filter = kind === 0 ? '' : kind === 1 ? '&level=warn' : '&source=db';
      const keep = (e: (typeof entries)[number]) =>
        kind === 0 ? true : kind === 1 ? order.indexOf(e.level) >= order.indexOf('warn') : e.source === 'db';
      const reply = (
        await getJson<HistogramReply>(
          server.url,
          `/api/streams/${STREAM}/histogram?since=${since}&until=${until}&buckets=${buckets}${filter}`,
        )
      ).body;
      const label = `round ${round}: ${since}..${until} / ${buckets}${filter}`;
      expect(reply.buckets.length, label).toBeLessThanOrEqual(buckets);
      expect(reply.since, label).toBeLessThanOrEqual(since);
      expect(reply.until, label).toBeGreaterThanOrEqual(until);
      expect(reply.partial, label).toBeUndefined();
      expect(
        reply.buckets.map((bucket) => bucket.counts),
        label,
      ).toEqual(brute(reply, keep));
    }
    // The whole stream by default.
    const all = (await getJson<HistogramReply>(server.url, `/api/streams/${STREAM}/histogram?buckets=200`)).body;
    const total = all.buckets.reduce((sum, bucket) => sum + Object.values(bucket.counts).reduce((s, n) => s + (n ?? 0), 0), 0);
    expect(total).toBe(entries.length);
  });

  it('keeps its summaries with retention and drops them with the stream', async () => {
    const small = await startServer({ retainEntries: 100 });
    try {
      await postStreamLogs(
        small.url,
        'kept',
        range(1, 300)
          .map((i) => JSON.stringify({ msg: `k${i}`, time: T0 + i * 1000, level: 'info' }))
          .join('\n'),
      );
      const total = async () => {
        const reply = (await getJson<HistogramReply>(small.url, `/api/streams/kept/histogram?since=${T0}&until=${T0 + 400_000}&buckets=10`))
          .body;
        return reply.buckets.reduce((sum, bucket) => sum + (bucket.counts.info ?? 0), 0);
      };
      await waitFor(async () => (await total()) === 100, { timeoutMs: 10_000 });
      const raw = new Database(join(small.dataDir, 'livelog.db'), { readonly: true });
      try {
        const rows = raw.prepare('SELECT width, SUM(count) AS n, MIN(count) AS least FROM time_slices GROUP BY width').all() as {
          width: number;
          n: number;
          least: number;
        }[];
        expect(rows.map((row) => [row.width, row.n])).toEqual([
          [1000, 100],
          [60_000, 100],
        ]);
        expect(Math.min(...rows.map((row) => row.least))).toBeGreaterThan(0);
        const response = await fetch(`${small.url}/api/streams/kept`, { method: 'DELETE' });
        expect(response.status).toBeLessThan(300);
        expect((raw.prepare('SELECT COUNT(*) AS n FROM time_slices').get() as { n: number }).n).toBe(0);
      } finally {
        raw.close();
      }
    } finally {
      await small.close();
    }
  });
});

describe('GET /api/logs?around=', () => {
  const around = (query: string) => getJson<ContextReply & { error?: { code: string } }>(server.url, `/api/streams/minutes/logs?${query}`);
  let streamId = '';
  const id = (seq: number) => `${streamId}:${seq}`;

  beforeAll(async () => {
    const page = (await logs('minutes', '?limit=1')).body;
    streamId = (page.entries[0]?.id ?? '').split(':')[0] as string;
  });

  it('answers the lines around an id, unfiltered, at the start, the middle and the end', async () => {
    const start = (await around(`around=${id(1)}&before=3&after=2&level=error`)).body;
    expect(seqs(start as unknown as HistoryPage)).toEqual([1, 2, 3]);
    expect(start).toMatchObject({ anchor: id(1), hasBefore: false, hasAfter: true });
    const middle = (await around(`around=${id(50)}&before=2&after=2&q=nothing-matches`)).body;
    expect(seqs(middle as unknown as HistoryPage)).toEqual([48, 49, 50, 51, 52]);
    expect(middle).toMatchObject({ hasBefore: true, hasAfter: true });
    const end = (await around(`around=${id(120)}&before=3&after=5`)).body;
    expect(seqs(end as unknown as HistoryPage)).toEqual([117, 118, 119, 120]);
    expect(end).toMatchObject({ anchor: id(120), hasBefore: true, hasAfter: false });
    expect(seqs((await around(`around=${id(7)}`)).body as unknown as HistoryPage)).toEqual(range(1, 27));
  });

  it('refuses a foreign, malformed or unretained id', async () => {
    const foreign = await around('around=otherstream:3');
    expect([foreign.status, foreign.body.error?.code]).toEqual([409, 'LIVELOG_ERR_CURSOR_FOREIGN']);
    const malformed = await around('around=garbage');
    expect([malformed.status, malformed.body.error?.code]).toEqual([400, 'LIVELOG_ERR_CURSOR_MALFORMED']);
    const unknown = await around(`around=${id(999)}`);
    expect([unknown.status, unknown.body.error?.code]).toEqual([404, 'LIVELOG_ERR_NO_ENTRY']);
    expect((await around(`around=${id(5)}&before=1001`)).status).toBe(400);
  });
});
