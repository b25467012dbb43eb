import { connect } from 'node:net';
import type { GapEvent, HelloEvent, LogEntry } from '@livelog/protocol';
import { ingest, openSse, postLogs, type SseConnection, type SseMessage, startServer, type TestServer, waitFor } from '@livelog/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

/** Everything one connection received, for assertions. */
interface Received {
  events: SseMessage[];
  idOnly: string[];
  comments: string[];
  headers: Record<string, string | string[] | undefined>;
  connection: SseConnection;
  ended: boolean;
  entries(): LogEntry[];
  named(type: string): unknown[];
}

function listen(url: string, headers: Record<string, string> = {}, options: { keepRaw?: boolean } = {}): Received {
  const received: Received = {
    events: [],
    idOnly: [],
    comments: [],
    headers: {},
    ended: false,
    connection: undefined as unknown as SseConnection,
    entries: () => received.events.filter((event) => event.type === 'message').map((event) => JSON.parse(event.data) as LogEntry),
    named: (type) => received.events.filter((event) => event.type === type).map((event) => JSON.parse(event.data) as unknown),
  };
  received.connection = openSse(
    url,
    headers,
    {
      onOpen: (response) => {
        received.headers = response.headers;
      },
      onEvent: (event) => received.events.push(event),
      onIdOnly: (id) => received.idOnly.push(id),
      onComment: (text) => received.comments.push(text),
      onEnd: () => {
        received.ended = true;
      },
    },
    options,
  );
  return received;
}

const open: Received[] = [];
let server: TestServer | undefined;

async function start(input: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  server = await startServer(input);
  return server;
}

function stream(query = '', headers: Record<string, string> = {}, options: { keepRaw?: boolean } = {}): Received {
  if (server === undefined) throw new Error('no server');
  const received = listen(`${server.url}/api/stream${query}`, headers, options);
  open.push(received);
  return received;
}

afterEach(async () => {
  for (const received of open.splice(0)) received.connection.close();
  await server?.close();
  server = undefined;
});

const seqs = (received: Received): number[] => received.entries().map((entry) => entry.seq);
const helloOf = (received: Received): HelloEvent => received.named('hello')[0] as HelloEvent;

describe('GET /api/stream', () => {
  it('answers with SSE headers, then hello carrying the head id, then live entries', async () => {
    const { store } = await start();
    await ingest(server?.url ?? '', 3);
    const reader = stream();
    await waitFor(() => reader.events.length >= 1, { what: 'hello' });
    expect(reader.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(reader.headers['cache-control']).toContain('no-cache');
    expect(reader.headers['x-accel-buffering']).toBe('no');
    const [hello] = reader.events;
    expect(hello?.type).toBe('hello');
    expect(hello?.lastEventId).toBe(`${store.streamId}:3`);
    expect(helloOf(reader)).toEqual({ stream: store.streamId, first: 1, last: 3, heartbeatMs: 15_000, name: 'default' });
    await ingest(server?.url ?? '', 2, 'live');
    await waitFor(() => seqs(reader).length === 2, { what: 'live entries' });
    expect(seqs(reader)).toEqual([4, 5]);
    expect(reader.entries()[0]).toMatchObject({ id: `${store.streamId}:4`, msg: 'live 1', level: 'info', source: 'default' });
  });

  it('frames each entry as one data line and then one id line', async () => {
    const { store, url } = await start();
    await postLogs(url, `${JSON.stringify({ msg: 'multi\nline\r\nwith\rCR and \u2028 and \u0000', time: 5 })}\n`);
    const reader = stream('?from=start', {}, { keepRaw: true });
    await waitFor(() => seqs(reader).length === 1);
    const frame = reader.connection.raw().split('\n\n')[1];
    expect(frame).toBe(
      `data: {"id":"${store.streamId}:1","seq":1,"time":5,"level":"info","source":"default","msg":"multi\\nline\\r\\nwith\\rCR and \\u2028 and \\u0000"}\nid: ${store.streamId}:1`,
    );
    expect(reader.entries()[0]?.msg).toBe('multi\nline\r\nwith\rCR and \u2028 and \u0000');
  });

  it('lets a reader cut before its first entry resume from the moment it connected', async () => {
    const { url } = await start();
    await ingest(url, 5, 'before');
    const first = stream();
    await waitFor(() => first.events.length >= 1);
    const resumeFrom = first.connection.parser.lastEventId;
    first.connection.close();
    await ingest(url, 3, 'while away');
    const again = stream('', { 'last-event-id': resumeFrom });
    await waitFor(() => seqs(again).length === 3);
    expect(again.entries().map((entry) => entry.msg)).toEqual(['while away 1', 'while away 2', 'while away 3']);
  });

  describe('start positions', () => {
    it('resumes after Last-Event-ID, which wins over ?lastEventId=', async () => {
      const { store, url } = await start();
      await ingest(url, 10);
      const byHeader = stream(`?lastEventId=${store.streamId}:2`, { 'last-event-id': `${store.streamId}:7` });
      await waitFor(() => seqs(byHeader).length === 3);
      expect(seqs(byHeader)).toEqual([8, 9, 10]);
      expect(helloOf(byHeader)).toMatchObject({ first: 1, last: 10 });
      expect(byHeader.events[0]?.lastEventId).toBe(`${store.streamId}:7`);
    });

    it('resumes after ?lastEventId= for clients that cannot set the header', async () => {
      const { store, url } = await start();
      await ingest(url, 10);
      for (const name of ['lastEventId', 'last_event_id', 'evs_last_event_id']) {
        const reader = stream(`?${name}=${encodeURIComponent(`${store.streamId}:8`)}`);
        await waitFor(() => seqs(reader).length === 2);
        expect(seqs(reader)).toEqual([9, 10]);
      }
    });

    // eventsource-polyfill (amvtek) appends `evs_last_event_id=<its last id>` to the URL it was given
    // at every reconnect; a page that reopened with `?lastEventId=` (docs/reference/sse-protocol.md)
    // already has one. Reading the first replayed everything since the page's id on every reconnect.
    it('reads the last cursor parameter of the query, the one a polyfill appended to the page URL', async () => {
      const { store, url } = await start();
      await ingest(url, 10);
      const id = (seq: number) => encodeURIComponent(`${store.streamId}:${seq}`);
      for (const query of [`?lastEventId=${id(3)}&evs_last_event_id=${id(8)}`, `?lastEventId=${id(3)}&lastEventId=${id(8)}`]) {
        const reader = stream(query);
        await waitFor(() => seqs(reader).includes(10), { what: query });
        expect(seqs(reader)).toEqual([9, 10]);
      }
    });

    it('starts at ?since= (epoch ms, ISO 8601 or a duration)', async () => {
      const { url } = await start();
      const t = Date.UTC(2026, 0, 1, 12, 0, 0);
      await postLogs(url, [0, 1000, 2000, 3000].map((offset, i) => JSON.stringify({ msg: `m${i}`, time: t + offset })).join('\n'));
      const byMs = stream(`?since=${t + 1500}`);
      await waitFor(() => seqs(byMs).length === 2);
      expect(seqs(byMs)).toEqual([3, 4]);
      const byIso = stream(`?since=${encodeURIComponent(new Date(t + 1000).toISOString())}`);
      await waitFor(() => seqs(byIso).length === 3);
      expect(seqs(byIso)).toEqual([2, 3, 4]);
      await ingest(url, 1, 'now');
      const byDuration = stream('?since=1h');
      await waitFor(() => seqs(byDuration).length === 1);
      expect(byDuration.entries()[0]?.msg).toBe('now 1');
    });

    it('starts at the last N with ?tail=N, and ?tail=0 is live only', async () => {
      const { url } = await start();
      await ingest(url, 10);
      const tail = stream('?tail=3');
      await waitFor(() => seqs(tail).length === 3);
      expect(seqs(tail)).toEqual([8, 9, 10]);
      const none = stream('?tail=0');
      await waitFor(() => none.events.length >= 1);
      await ingest(url, 1);
      await waitFor(() => seqs(none).length === 1);
      expect(seqs(none)).toEqual([11]);
      const more = stream('?tail=1000');
      await waitFor(() => seqs(more).length === 11);
    });

    it('takes the last N matching entries when ?tail= comes with a filter', async () => {
      const { url } = await start();
      await postLogs(
        url,
        [1, 2, 3, 4, 5, 6].map((n) => JSON.stringify({ msg: `m${n}`, level: n % 2 === 0 ? 'error' : 'info' })).join('\n'),
      );
      const reader = stream('?tail=2&level=error');
      await waitFor(() => seqs(reader).length === 2);
      expect(seqs(reader)).toEqual([4, 6]);
    });

    it('replays everything retained with ?from=start, and nothing without a position', async () => {
      const { url } = await start();
      await ingest(url, 4);
      const all = stream('?from=start');
      await waitFor(() => seqs(all).length === 4);
      expect(seqs(all)).toEqual([1, 2, 3, 4]);
      const live = stream();
      await waitFor(() => live.events.length >= 1);
      expect(seqs(live)).toEqual([]);
    });
  });

  describe('reset', () => {
    it.each([
      ['malformed', () => '1735200000.123456'],
      ['malformed', () => 'x'.repeat(10_000)],
      ['malformed', () => 'abc:-1'],
      ['foreign', () => 'otherstream:3'],
      ['future', (stream: string) => `${stream}:999`],
    ])('answers a %s id with reset, then starts as the other parameters say', async (reason, id) => {
      const { store, url } = await start();
      await ingest(url, 5);
      const reader = stream('?tail=2', { 'last-event-id': id(store.streamId) });
      await waitFor(() => seqs(reader).length === 2);
      expect(reader.events.map((event) => event.type).slice(0, 2)).toEqual(['hello', 'reset']);
      expect(reader.named('reset')).toEqual([{ reason, stream: store.streamId }]);
      expect(seqs(reader)).toEqual([4, 5]);
      expect(reader.events[0]?.lastEventId).toBe(`${store.streamId}:3`);
    });

    it('starts a foreign id without a start parameter at the oldest entry: everything in this stream is new to its reader', async () => {
      // Regression: a reader away while its stream was deleted and written again resumed live only,
      // and lost without a count what the new stream got before it came back.
      const { store, url } = await start();
      await ingest(url, 3);
      const resumed = stream('', { 'last-event-id': 'otherstream:7' });
      const live = stream('?from=end', { 'last-event-id': 'otherstream:7' });
      await waitFor(() => seqs(resumed).length === 3 && live.named('reset').length === 1, { what: 'the replay after the reset' });
      await ingest(url, 1, 'live');
      await waitFor(() => seqs(resumed).length === 4 && seqs(live).length === 1, { what: 'the live entry' });
      expect(resumed.named('reset')).toEqual([{ reason: 'foreign', stream: store.streamId }]);
      expect(resumed.events[0]?.lastEventId).toBe(`${store.streamId}:0`);
      expect(seqs(resumed)).toEqual([1, 2, 3, 4]);
      // `from=end` asks for live only in so many words.
      expect(seqs(live)).toEqual([4]);
    });
  });

  describe('gap', () => {
    it('names the exact range retention removed, and moves the cursor past it', async () => {
      const { store, url, server: livelog } = await start({ retainEntries: '10' });
      await ingest(url, 30);
      await livelog.engine.pruner.runOnce();
      expect(await store.bounds()).toEqual({ first: 21, last: 30 });
      const reader = stream('', { 'last-event-id': `${store.streamId}:5` });
      await waitFor(() => seqs(reader).length === 10);
      const gaps = reader.named('gap') as GapEvent[];
      expect(gaps).toEqual([
        {
          after: `${store.streamId}:5`,
          resumeAt: `${store.streamId}:20`,
          missed: 15,
          fromSeq: 6,
          toSeq: 20,
          reason: 'retention',
        },
      ]);
      expect(reader.events.find((event) => event.type === 'gap')?.lastEventId).toBe(`${store.streamId}:20`);
      expect(seqs(reader)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    });

    it('reports a gap when everything after the cursor was removed', async () => {
      const { store, url, server: livelog } = await start({ retainEntries: '0' });
      await ingest(url, 8);
      await livelog.engine.pruner.runOnce();
      const reader = stream('', { 'last-event-id': `${store.streamId}:2` });
      await waitFor(() => reader.named('gap').length === 1);
      expect(reader.named('gap')[0]).toMatchObject({ missed: 6, fromSeq: 3, toSeq: 8 });
    });
  });

  describe('filters', () => {
    const mixed = [
      { msg: 'boot', level: 'debug', source: 'web' },
      { msg: 'Disk almost FULL', level: 'warn', source: 'db' },
      { msg: 'request ok', source: 'web' },
      { msg: 'crash', level: 'error', source: 'web' },
      { msg: 'quiet', source: 'cron' },
    ]
      .map((entry) => JSON.stringify(entry))
      .join('\n');

    it.each([
      ['?from=start&level=warn', [2, 4]],
      ['?from=start&source=web,cron', [1, 3, 4, 5]],
      ['?from=start&source=web&source=db', [1, 2, 3, 4]],
      ['?from=start&q=full', [2]],
      // The level is searchable text too: `crash` (error) matches `o` by its level.
      ['?from=start&q=o&level=info&source=web', [3, 4]],
      ['?from=start&q=o%20-level:error&level=info&source=web', [3]],
    ])('%s', async (query, expected) => {
      const { url } = await start();
      await postLogs(url, mixed);
      const reader = stream(query);
      await waitFor(() => seqs(reader).length === expected.length);
      expect(seqs(reader)).toEqual(expected);
    });

    it('moves the cursor past skipped entries with id-only events', async () => {
      const { store, url } = await start();
      await postLogs(url, mixed);
      const reader = stream('?from=start&level=error');
      await waitFor(() => reader.connection.parser.lastEventId === `${store.streamId}:5`, { what: 'cursor at 5' });
      expect(seqs(reader)).toEqual([4]);
      expect(reader.idOnly).toContain(`${store.streamId}:5`);
      await ingest(url, 3, 'skipped');
      await waitFor(() => reader.connection.parser.lastEventId === `${store.streamId}:8`, { what: 'cursor at 8' });
      expect(seqs(reader)).toEqual([4]);
    });
  });

  it('sends heartbeat comments on an idle stream', async () => {
    await start({ heartbeat: '100ms' });
    const reader = stream();
    await waitFor(() => reader.comments.length >= 3, { what: 'three heartbeats' });
    expect(helloOf(reader).heartbeatMs).toBe(100);
  });

  it('tells a reader catching up from the store how far behind it is', async () => {
    const { url } = await start({ ringEntries: '100' });
    for (let i = 0; i < 5; i++) await ingest(url, 2000);
    const reader = stream('?from=start');
    await waitFor(() => seqs(reader).length === 10_000);
    const lags = reader.named('lag') as { behind: number }[];
    expect(lags.length).toBeGreaterThanOrEqual(2);
    expect(lags[0]?.behind).toBeGreaterThan(1000);
    expect(lags[lags.length - 1]).toEqual({ behind: 0 });
  });

  it('ends streams with a retryable close event on shutdown', async () => {
    const { server: livelog } = await start();
    const reader = stream();
    await waitFor(() => reader.events.length >= 1);
    await livelog.close();
    await waitFor(() => reader.ended, { what: 'stream end' });
    expect(reader.named('close')).toEqual([{ reason: 'shutdown', retryable: true }]);
  });

  it('answers HEAD with the stream headers and ends, holding no reader slot (regression: issue 11, item 8)', async () => {
    const { url, server: livelog } = await start({ maxReaders: '1' });
    const { port } = new URL(url);
    // HEAD, then a second request on the same connection: it is answered only once HEAD's response ended.
    const raw = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          `HEAD /api/stream HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\nGET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
        );
      });
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('{"status":"ok"}')) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
      socket.setTimeout(5000, () => {
        socket.destroy();
        reject(new Error(`no answer to the request after HEAD: its response never ended; got ${JSON.stringify(text)}`));
      });
    });
    const head = raw.split('\r\n\r\n', 1)[0] as string;
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(head.toLowerCase()).toContain('content-type: text/event-stream');
    expect(raw.indexOf('HTTP/1.1 200', 1)).toBeGreaterThan(head.length);
    expect(livelog.engine.broker.stats.connects).toBe(0);
    // The one reader slot is free: a GET stream still gets in.
    const reader = stream();
    await waitFor(() => reader.named('hello').length === 1);
  });

  it('rejects bad parameters with a JSON error before streaming', async () => {
    const { url } = await start();
    for (const [query, param] of [
      ['?level=loud', 'level'],
      ['?tail=-1', 'tail'],
      ['?tail=abc', 'tail'],
      ['?since=yesterday', 'since'],
      ['?until=1h30', 'until'],
      ['?from=middle', 'from'],
      ['?source=%00bad', 'source'],
    ] as const) {
      const response = await fetch(`${url}/api/stream${query}`);
      expect(response.status, query).toBe(400);
      // Times have their own code (issue 13); every other parameter the general one.
      const code = param === 'since' || param === 'until' ? 'LIVELOG_ERR_QUERY_BAD_TIME' : 'LIVELOG_ERR_QUERY_BAD_PARAM';
      expect(await response.json()).toMatchObject({ error: { code, param } });
    }
    for (const q of ['x'.repeat(4097), '"unclosed', 'a OR', '(a b', 'level:loud', 'user.id:']) {
      const response = await fetch(`${url}/api/stream?q=${encodeURIComponent(q)}`);
      expect(response.status, q).toBe(400);
      expect(await response.json()).toMatchObject({
        error: { code: 'LIVELOG_ERR_BAD_QUERY', param: 'q', message: expect.stringMatching(/position \d+/) },
      });
    }
  });
});
