import { readFileSync } from 'node:fs';
import { SqliteStore } from '@livelog/core';
import type { HistoryPage, LogEntry } from '@livelog/protocol';
import { openSse, type SpawnedServer, spawnServer, tempDir } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Regression test of issue 11, item 2: single read requests froze the event loop. On a 300k-line
 * store, `GET /api/logs?q=nomatch` scanned everything in one synchronous call (~0.5 s with /healthz
 * stalled), `/api/stream?tail=10000000&level=…` read every matching row at once (1.5 s, +160 MB), and a
 * filtered stream catch-up ran page after page without yielding. Against a real server process, while
 * those requests run, /healthz is sampled every 10 ms, and the answers must be right: following `next`
 * from page to page yields every match exactly once.
 *
 * What is asserted at 50 ms is the most CPU the server used in one turn of its event loop, measured
 * inside it (fixtures/loop-block-probe.mjs): /healthz p99 and prom-client's loop delay are wall time,
 * which on the shared 2-core machine (load 7-9) moved between 12 and 110 ms from run to run with the
 * same code, while CPU per turn stayed at 10-14 ms. /healthz p99 keeps a loose bound (500 ms; before
 * the fix it was 4.5 s) and is printed.
 */
const LINES = 300_000;
const isError = (seq: number) => seq % 1000 === 0;
const hasNeedle = (seq: number) => seq % 997 === 0;

let server: SpawnedServer;
let dir: { path: string; remove: () => Promise<void> };
let stream = '';

beforeAll(async () => {
  dir = await tempDir('livelog-bounded-');
  // Written through the store itself (a real SQLite file), not over HTTP: 300k lines in seconds.
  const store = new SqliteStore({ dir: dir.path });
  await store.open();
  stream = store.streamId;
  const now = Date.now();
  for (let from = 1; from <= LINES; from += 20_000) {
    const batch = Array.from({ length: 20_000 }, (_, i) => {
      const seq = from + i;
      return {
        time: now,
        level: isError(seq) ? ('error' as const) : ('info' as const),
        source: seq % 2 === 0 ? 'api' : 'worker',
        msg: `${hasNeedle(seq) ? 'found the Needle' : 'request served'} ${seq}`,
        fields: { seq, path: '/api/items' },
      };
    });
    await store.append(batch);
  }
  await store.close();
  server = await spawnServer({
    dataDir: dir.path,
    logLevel: 'warn',
    nodeArgs: ['--import', new URL('./fixtures/loop-block-probe.mjs', import.meta.url).href],
    ipc: true,
  });
}, 120_000);

afterAll(async () => {
  await server?.kill();
  await dir?.remove();
});

/** Samples GET /healthz every 10 ms until stopped; resolves to the latencies in ms. */
function sampleHealth(url: string): { stop: () => Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    // A failed request fails the test through the latencies it does not add; it must not go unhandled.
    while (running) {
      const started = performance.now();
      try {
        const response = await fetch(`${url}/healthz`);
        await response.text();
        latencies.push(performance.now() - started);
      } catch {
        latencies.push(Number.POSITIVE_INFINITY);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return latencies;
    },
  };
}

function rssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

/**
 * The most CPU the server process used between two turns of its event loop since the last call, and
 * the longest wall time between them (see fixtures/loop-block-probe.mjs).
 */
function maxBlock(): Promise<{ cpuMs: number; wallMs: number }> {
  return new Promise((resolve) => {
    const onMessage = (message: { type?: string; cpuMs: number; wallMs: number }) => {
      if (message.type !== 'max-block') return;
      server.child.off('message', onMessage);
      resolve(message);
    };
    server.child.on('message', onMessage);
    server.child.send({ type: 'max-block' });
  });
}

/** The server's own `nodejs_eventloop_lag_max_seconds` since the previous scrape, in ms. */
async function loopLagMaxMs(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const match = /^nodejs_eventloop_lag_max_seconds ([\d.e+-]+)$/m.exec(text);
  if (match === null) throw new Error('no event-loop lag metric');
  return Number(match[1]) * 1000;
}

/** Pages through history by `next` and returns every seq, in the order received. */
async function pageAll(query: string, direction: 'after' | 'before', first: string): Promise<{ seqs: number[]; pages: number }> {
  const seqs: number[] = [];
  let pages = 0;
  let position = first;
  for (;;) {
    const response = await fetch(`${server.url}/api/logs?${query}${position}`);
    expect(response.status).toBe(200);
    const page = (await response.json()) as HistoryPage;
    pages++;
    const pageSeqs = page.entries.map((entry) => entry.seq);
    seqs.push(...(direction === 'after' ? pageSeqs : pageSeqs.reverse()));
    if (!page.hasMore) {
      expect(page.next).toBeUndefined();
      return { seqs, pages };
    }
    expect(page.next).toMatch(new RegExp(`^${stream}:\\d+$`));
    position = `&${direction}=${page.next}`;
  }
}

/** Opens a stream and resolves with the seqs of the entries it sent once its cursor reached `until`. */
function streamUntil(query: string, until: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const seqs: number[] = [];
    let done = false;
    const reached = (id: string) => {
      if (!done && Number(id.split(':')[1]) >= until) {
        done = true;
        resolve(seqs);
        connection.close();
      }
    };
    const connection = openSse(
      `${server.url}/api/stream?${query}`,
      {},
      {
        onEvent: (message) => {
          if (message.type === 'message') seqs.push((JSON.parse(message.data) as LogEntry).seq);
          if (message.lastEventId !== '') reached(message.lastEventId);
        },
        onIdOnly: reached,
        onEnd: (error) => {
          if (!done) reject(error ?? new Error('the stream ended before reaching the end'));
        },
      },
    );
  });
}

/** Opens a stream and resolves with the id of its hello (where it starts), then closes it. */
function helloOf(query: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let done = false;
    const connection = openSse(
      `${server.url}/api/stream?${query}`,
      {},
      {
        onEvent: (message) => {
          if (message.type !== 'hello' || done) return;
          done = true;
          resolve(message.lastEventId);
          connection.close();
        },
        onEnd: (error) => {
          if (!done) reject(error ?? new Error('the stream ended before its hello'));
        },
      },
    );
  });
}

const range = (count: number, keep: (seq: number) => boolean) => Array.from({ length: count }, (_, i) => i + 1).filter(keep);

describe('bounded reads on a 300k-line store', () => {
  it('keeps /healthz answering while scans run, and pages by next to every match exactly once', async () => {
    // Scraping resets the server's event-loop delay histogram (prom-client): the next scrape's max
    // is the longest the loop was blocked while the requests below ran.
    await loopLagMaxMs();
    await maxBlock();
    const rssBefore = rssMb(server.child.pid as number);
    let rssPeak = rssBefore;
    const rssTimer = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssMb(server.child.pid as number));
    }, 20);
    const sampler = sampleHealth(server.url);
    const [nomatch, needles, needlesBack, tail, catchUp, wholeTail] = await Promise.all([
      pageAll('q=nomatch&limit=100', 'before', ''),
      pageAll('q=needle&limit=50', 'after', '&from=start'),
      pageAll('q=needle&limit=50', 'before', ''),
      streamUntil('tail=10000000&level=error', LINES),
      streamUntil('from=start&q=nomatch', LINES),
      // Every line matches: the start is found by counting back 300k matches, a page at a time.
      helloOf('tail=10000000&level=info'),
    ]);
    const latencies = await sampler.stop();
    const blockedMs = await loopLagMaxMs();
    const block = await maxBlock();
    clearInterval(rssTimer);

    expect(nomatch.seqs).toEqual([]);
    const expectedNeedles = range(LINES, hasNeedle);
    expect(needles.seqs).toEqual(expectedNeedles);
    expect(needlesBack.seqs).toEqual([...expectedNeedles].reverse());
    expect(tail).toEqual(range(LINES, isError));
    expect(catchUp).toEqual([]);
    expect(wholeTail).toBe(`${stream}:0`);

    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.floor(latencies.length * 0.99)] as number;
    const max = latencies[latencies.length - 1] as number;
    console.log(
      `bounded reads: ${latencies.length} /healthz samples, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms; ` +
        `server event-loop delay max ${blockedMs.toFixed(1)} ms; most CPU in one loop turn ${block.cpuMs.toFixed(1)} ms ` +
        `(longest turn ${block.wallMs.toFixed(1)} ms wall); RSS +${(rssPeak - rssBefore).toFixed(0)} MB; ` +
        `q=nomatch took ${nomatch.pages} pages`,
    );
    expect(block.cpuMs).toBeLessThanOrEqual(50);
    expect(latencies.length).toBeGreaterThan(20);
    expect(p99).toBeLessThanOrEqual(500);
    // The filtered tail once read every match at once (+160 MB); counted back page by page it holds one page.
    expect(rssPeak - rssBefore).toBeLessThan(80);
  }, 60_000);

  it('refuses nothing it used to accept and keeps the first page of an unfiltered read whole', async () => {
    const response = await fetch(`${server.url}/api/logs?limit=1000`);
    const page = (await response.json()) as HistoryPage;
    expect(page.entries.map((entry) => entry.seq)).toEqual(range(LINES, (seq) => seq > LINES - 1000));
    expect(page).toMatchObject({ hasMore: true, next: `${stream}:${LINES - 999}` });
  });
});
