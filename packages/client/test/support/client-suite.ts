import { backoffCeiling } from '@livelog/client';
import {
  ChaosProxy,
  delay,
  getJson,
  ingest,
  openSse,
  postLogs,
  spawnServer,
  startServer,
  type TestServer,
  tempDir,
  waitFor,
} from '@livelog/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClientDriver, DriverStream } from './client-driver.js';
import { fakeEntry, fakeHello, startFakeServer } from './fake-server.js';
import type { RecorderSnapshot } from './stream-recorder.js';

/** A small seeded PRNG, so a failing run of random cuts can be replayed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Asserts `seqs` is exactly `expected` (default 1..n): nothing lost, repeated or reordered. */
export function expectExactly(seqs: readonly number[], n: number, expected?: readonly number[]): void {
  const want = expected ?? Array.from({ length: n }, (_, i) => i + 1);
  if (seqs.length === want.length && seqs.every((seq, i) => seq === want[i])) return;
  const seen = new Set(seqs);
  const missing = want.filter((seq) => !seen.has(seq));
  const firstBad = seqs.findIndex((seq, i) => seq !== want[i]);
  expect.fail(`expected ${want.length} seqs in order, got ${seqs.length}; missing ${missing.slice(0, 10)}; first mismatch at ${firstBad}`);
}

const portOf = (url: string): number => Number(new URL(url).port);

/**
 * The client's behaviour suite, run against real servers (in process and spawned) through the
 * fault-injecting proxy. The same suite runs on every driver: Node and Chromium.
 */
export function describeClientSuite(label: string, createDriver: () => Promise<ClientDriver>): void {
  describe(`@livelog/client in ${label}`, () => {
    let driver: ClientDriver;
    const cleanups: (() => Promise<unknown>)[] = [];

    beforeAll(async () => {
      driver = await createDriver();
    });
    afterAll(async () => {
      await driver?.dispose();
    });
    afterEach(async () => {
      await driver.closeAll();
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function server(input: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
      const started = await startServer({ heartbeat: '100ms', retry: '5ms', ...input });
      cleanups.push(() => started.close());
      return started;
    }
    async function proxyTo(port: number): Promise<ChaosProxy> {
      const proxy = await ChaosProxy.start({ port });
      cleanups.push(() => proxy.close());
      return proxy;
    }
    /**
     * The server's URL through a proxy of its own. Browsers keep (and preconnect) sockets to an
     * origin beyond the page's life; the proxy cuts them at cleanup, so the server closes at once.
     */
    async function via(target: TestServer): Promise<string> {
      return (await proxyTo(portOf(target.url))).url();
    }
    async function until(
      stream: DriverStream,
      condition: (snapshot: RecorderSnapshot) => boolean,
      what: string,
      timeoutMs = 20_000,
    ): Promise<RecorderSnapshot> {
      let last: RecorderSnapshot | undefined;
      try {
        return await waitFor(
          async () => {
            last = await stream.snapshot(false);
            return condition(last) ? last : undefined;
          },
          { what, timeoutMs, intervalMs: 5 },
        );
      } catch (error) {
        const { statuses, ...rest } = last ?? ({} as RecorderSnapshot);
        throw new Error(`${(error as Error).message}; last snapshot: ${JSON.stringify({ ...rest, statuses: statuses?.slice(-5) })}`);
      }
    }

    it('delivers 1..N exactly once and in order through 300 random cuts, many in the middle of an event', async () => {
      const target = await server();
      const proxy = await proxyTo(portOf(target.url));
      const stream = await driver.open({ url: proxy.url(), start: { fromStart: true }, backoff: { baseMs: 1, maxMs: 4 } });
      const random = seeded(20_241_128);
      let sent = 0;
      while (proxy.cuts < 300) {
        await waitFor(() => proxy.open > 0, { what: 'a connection to cut', intervalMs: 1 }).catch(async (error: Error) => {
          throw new Error(`${error.message}: ${JSON.stringify((await stream.snapshot(false)).statuses.slice(-4))}`);
        });
        const cutsBefore = proxy.cuts;
        if (random() < 0.6) {
          // Cut wherever the byte budget ends: in the HTTP head, before hello, mid-id, mid-data,
          // between events (10 entries are about 1.1 kB of events).
          // carryOver: a connection the client's watchdog ends first (a loaded machine stalls it past
          // 2.5 heartbeats of 100 ms) passes the budget to the reconnect, where it was lost and the
          // wait below timed out.
          proxy.cutAllAfter(Math.floor(random() * 1200), { carryOver: true });
          await ingest(target.url, 10);
          sent += 10;
          // A budget carried to a reconnect that already caught up is spent by heartbeats alone
          // (7 bytes per 100 ms: up to 17 s for 1,200 bytes).
          await waitFor(() => proxy.cuts > cutsBefore, { what: 'the budgeted cut', intervalMs: 1, timeoutMs: 30_000 });
        } else {
          await ingest(target.url, 5);
          sent += 5;
          proxy.cutAll();
        }
      }
      await ingest(target.url, 5);
      sent += 5;
      await until(stream, (snapshot) => snapshot.count >= sent, `${sent} entries`);
      const snapshot = await stream.snapshot();
      expectExactly(snapshot.seqs, sent);
      expect(proxy.cuts).toBeGreaterThanOrEqual(300);
      expect(snapshot.stats).toMatchObject({ duplicates: 0, outOfOrder: 0, missing: 0, malformed: 0, gaps: 0 });
      // Many cuts land before hello (in the HTTP head): those are failed attempts, not reconnects.
      expect(snapshot.stats.reconnects).toBeGreaterThan(50);
      expect(snapshot.stats.meanResumeMs).toBeGreaterThanOrEqual(0);
    });

    it('resumes across server restarts (kill -9, same port, same data)', async () => {
      const dir = await tempDir('livelog-client-restart-');
      cleanups.push(() => dir.remove());
      const args = ['--heartbeat', '100ms', '--log-level', 'warn'];
      let current = await spawnServer({ dataDir: dir.path, args });
      cleanups.push(() => current.kill('SIGKILL'));
      const proxy = await proxyTo(current.port);
      const stream = await driver.open({ url: proxy.url(), start: { fromStart: true }, backoff: { baseMs: 5, maxMs: 100 } });
      let sent = 0;
      for (let round = 0; round < 3; round++) {
        await ingest(current.url, 200);
        sent += 200;
        // Kill while this round is still being delivered when possible: right after its first entry.
        await until(stream, (snapshot) => snapshot.count > sent - 200, `round ${round} under way`);
        if (round < 2) {
          await current.kill('SIGKILL');
          current = await spawnServer({ dataDir: dir.path, port: current.port, args });
        }
      }
      await until(stream, (snapshot) => snapshot.count >= sent, `${sent} entries`);
      const snapshot = await stream.snapshot();
      expectExactly(snapshot.seqs, sent);
      expect(snapshot.stats.reconnects).toBeGreaterThanOrEqual(2);
      expect(snapshot.stats).toMatchObject({ duplicates: 0, outOfOrder: 0, missing: 0, resets: 0 });
    });

    it('declares a silently stalled connection dead after 2.5 heartbeats and resumes', async () => {
      const target = await server({ heartbeat: '100ms' });
      const proxy = await proxyTo(portOf(target.url));
      const stream = await driver.open({
        url: proxy.url(),
        start: { fromStart: true },
        backoff: { baseMs: 5, maxMs: 50 },
        connectTimeoutMs: 1000,
      });
      await ingest(target.url, 10);
      await until(stream, (snapshot) => snapshot.count >= 10, '10 entries');
      const stalledAt = Date.now();
      proxy.stall();
      await ingest(target.url, 10);
      // The stall's watchdog, not one before it: a loaded machine can keep a first connection from
      // its hello for connectTimeoutMs (1 s), and that timeout is a watchdog timeout too.
      const tripped = (status: RecorderSnapshot['statuses'][number]): boolean =>
        status.error === 'LIVELOG_CLIENT_ERR_WATCHDOG' && status.at >= stalledAt;
      const stalled = await until(stream, (snapshot) => snapshot.statuses.some(tripped), 'the watchdog');
      proxy.resume();
      await until(stream, (snapshot) => snapshot.count >= 20, '20 entries');
      const watchdog = stalled.statuses.find(tripped);
      // The last byte (a heartbeat) came at most one interval before the stall: 150..250 ms, plus timer slack.
      expect(watchdog?.at).toBeDefined();
      expect((watchdog?.at ?? 0) - stalledAt).toBeGreaterThanOrEqual(100);
      expect((watchdog?.at ?? 0) - stalledAt).toBeLessThan(1500);
      expectExactly((await stream.snapshot()).seqs, 20);
    });

    describe('a cut in the middle of an event does not advance the cursor', () => {
      // A scripted server cuts at exact byte positions of the event stream; the random-cut test
      // above does the same through a real server, at positions it does not control.
      const entry3 = fakeEntry(3);
      const dataAt = entry3.indexOf('data:');
      const cuts = {
        'after id:': entry3.slice(0, dataAt),
        'inside data:': entry3.slice(0, dataAt + 20),
        'before the blank line': entry3.slice(0, -1),
      };
      /** The cursor a reconnect sent: exactly `dispatched`, or (browsers) anything not past it. */
      function expectResumedAt(header: string | undefined, dispatched: string, before: readonly (string | undefined)[]): void {
        if (driver.dropsBytesOnError) expect([...before, dispatched]).toContain(header);
        else expect(header).toBe(dispatched);
      }

      for (const [where, partial] of Object.entries(cuts)) {
        it(`entry event cut ${where}`, async () => {
          const fake = await startFakeServer([{ raw: fakeHello(0) + fakeEntry(1) + fakeEntry(2) + partial }, { serveUpTo: 5 }]);
          cleanups.push(() => fake.close());
          const stream = await driver.open({ url: fake.url, backoff: { baseMs: 1, maxMs: 5 } });
          await until(stream, (s) => s.count >= 5, 'all 5 entries');
          expect(fake.requests()).toBe(2);
          expectResumedAt(fake.lastEventIds()[1], 'fake:2', [undefined, 'fake:0', 'fake:1']);
          expectExactly((await stream.snapshot()).seqs, 5);
        });
      }

      it('id-only events move the cursor on their blank line, not on their id: line', async () => {
        for (const [partial, cursor] of [
          ['id: fake:5\n', 'fake:2'],
          ['id: fake:5\n\n', 'fake:5'],
        ] as const) {
          const fake = await startFakeServer([
            { raw: fakeHello(0) + fakeEntry(1, 'warn') + fakeEntry(2, 'warn') + partial },
            { serveUpTo: 5, warnUpTo: 2 },
          ]);
          cleanups.push(() => fake.close());
          const stream = await driver.open({ url: fake.url, filter: { level: 'warn' }, backoff: { baseMs: 1, maxMs: 5 } });
          await until(stream, (s) => fake.requests() >= 2 && s.lastEventId === 'fake:5' && s.count >= 2, 'the resumed cursor');
          expectResumedAt(fake.lastEventIds()[1], cursor, [undefined, 'fake:0', 'fake:1', 'fake:2']);
          expectExactly((await stream.snapshot()).seqs, 2);
          await stream.close();
        }
      });
    });

    describe('an event whose data is damaged', () => {
      const damaged = 'id: fake:2\ndata: {"id":"fake:2","se\n\n';
      it('is resumed before, not skipped', async () => {
        const fake = await startFakeServer([{ raw: fakeHello(0) + fakeEntry(1) + damaged + fakeEntry(3) }, { serveUpTo: 3 }]);
        cleanups.push(() => fake.close());
        const stream = await driver.open({ url: fake.url, backoff: { baseMs: 1, maxMs: 5 } });
        const snapshot = await until(stream, (s) => s.count >= 3, 'entries 1..3');
        expect(fake.lastEventIds()[1]).toBe('fake:1');
        expect(snapshot.statuses.find((status) => status.state === 'waiting')?.error).toBe('LIVELOG_CLIENT_ERR_MALFORMED');
        expect(snapshot.stats.malformed).toBe(0);
        expectExactly((await stream.snapshot()).seqs, 3);
      });

      it('is skipped and counted when it is damaged three times at the same position', async () => {
        const again = { raw: fakeHello(1) + damaged + fakeEntry(3) };
        const fake = await startFakeServer([{ raw: fakeHello(0) + fakeEntry(1) + damaged + fakeEntry(3) }, again, again, { serveUpTo: 3 }]);
        cleanups.push(() => fake.close());
        const stream = await driver.open({ url: fake.url, backoff: { baseMs: 1, maxMs: 5 } });
        const snapshot = await until(stream, (s) => s.count >= 2 && s.lastEventId === 'fake:3', 'entry 3');
        expect(snapshot.stats.malformed).toBe(1);
        expectExactly((await stream.snapshot()).seqs, 2, [1, 3]);
      });
    });

    it('backs off with full jitter, capped, and waits what it says', async () => {
      const target = await server();
      const proxy = await proxyTo(portOf(target.url));
      proxy.refuse(true);
      const stream = await driver.open({ url: proxy.url(), backoff: { baseMs: 20, maxMs: 160 } });
      const snapshot = await until(stream, (s) => s.statuses.filter((status) => status.state === 'waiting').length >= 12, '12 waits');
      proxy.refuse(false);
      await until(stream, (s) => s.state === 'open', 'open');
      const delays: number[] = [];
      const statuses = snapshot.statuses;
      statuses.forEach((status, index) => {
        if (status.state !== 'waiting' || status.nextRetryMs === undefined) return;
        const next = statuses.slice(index + 1).find((later) => later.state === 'connecting');
        if (next === undefined) return;
        const waited = next.at - status.at;
        expect(status.nextRetryMs).toBeLessThanOrEqual(backoffCeiling(status.attempt, 20, 160));
        expect(waited).toBeGreaterThanOrEqual(status.nextRetryMs - 2);
        expect(waited).toBeLessThan(status.nextRetryMs + 150);
        delays.push(status.nextRetryMs);
      });
      const attempts = statuses.filter((status) => status.state === 'waiting').map((status) => status.attempt);
      expect(attempts.slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(Math.max(...delays)).toBeLessThanOrEqual(160);
      // Jittered: the delays are spread, not one fixed value per attempt.
      expect(new Set(delays).size).toBeGreaterThanOrEqual(6);
    });

    it('resets the backoff after a healthy period, and gives up after maxAttempts failures in a row', async () => {
      // healthyAfterMs 2 s: the second connection must be cut before it counts as healthy, and with
      // 150 ms a loaded machine's poll for its hello (a CDP round trip in Chromium) often took longer.
      // A 1 s heartbeat, so that the watchdog does not end the third connection in its healthy wait.
      const target = await server({ heartbeat: '1s' });
      const proxy = await proxyTo(portOf(target.url));
      const stream = await driver.open({ url: proxy.url(), backoff: { baseMs: 5, maxMs: 20, healthyAfterMs: 2000, maxAttempts: 3 } });
      await until(stream, (s) => s.state === 'open', 'open');
      // Two quick cuts: the second connection was not healthy, so the backoff grows.
      proxy.cutAll();
      await until(stream, (s) => s.hellos >= 2, 'the second connection');
      proxy.cutAll();
      const quick = await until(stream, (s) => s.hellos >= 3, 'the third connection');
      expect(quick.statuses.filter((status) => status.state === 'waiting').map((status) => status.attempt)).toEqual([0, 1]);
      // Open longer than healthyAfterMs: the next wait starts from attempt 0 again.
      await delay(2100);
      proxy.refuse(true);
      proxy.cutAll();
      const gaveUp = await until(stream, (s) => s.state === 'closed', 'giving up');
      expect(gaveUp.statuses.filter((status) => status.state === 'waiting').map((status) => status.attempt)).toEqual([0, 1, 0, 1, 2]);
      expect(gaveUp.errors).toMatchObject([{ code: 'LIVELOG_CLIENT_ERR_GAVE_UP' }]);
    });

    it("takes the server's retry: as backoff base", async () => {
      const target = await server({ retry: '40ms' });
      const proxy = await proxyTo(portOf(target.url));
      const stream = await driver.open({ url: proxy.url(), backoff: { maxMs: 10_000 } });
      await until(stream, (s) => s.state === 'open', 'open');
      proxy.refuse(true);
      proxy.cutAll();
      const snapshot = await until(stream, (s) => s.statuses.filter((status) => status.state === 'waiting').length >= 4, '4 waits');
      const waits = snapshot.statuses.filter((status) => status.state === 'waiting');
      for (const status of waits) expect(status.nextRetryMs).toBeLessThanOrEqual(backoffCeiling(status.attempt, 40, 10_000));
      proxy.refuse(false);
    });

    it('runs one reconnect loop however many triggers fire at once; honours Retry-After on 503', async () => {
      const fake = await startFakeServer([
        { status: 503, retryAfter: 30 },
        { status: 503, retryAfter: 30 },
      ]);
      cleanups.push(() => fake.close());
      const stream = await driver.open({ url: fake.url, backoff: { baseMs: 1, maxMs: 10 } });
      const first = await until(stream, (s) => s.state === 'waiting', 'the first wait');
      expect(first.statuses.at(-1)?.nextRetryMs).toBeGreaterThanOrEqual(30_000);
      expect(first.statuses.at(-1)?.error).toBe('LIVELOG_CLIENT_ERR_HTTP');
      await stream.reconnectNow(25);
      const second = await until(stream, (s) => s.statuses.filter((status) => status.state === 'waiting').length >= 2, 'the second wait');
      expect(fake.requests()).toBe(2);
      expect(second.statuses.filter((status) => status.state === 'connecting')).toHaveLength(2);
    });

    it('retries 429 after Retry-After, follows retryable close events, stops on a terminal one', async () => {
      const fake = await startFakeServer([
        { status: 429, retryAfter: 1 },
        { events: [{ seq: 1 }], close: { reason: 'shutdown', retryable: true } },
        { events: [{ seq: 2 }], close: { reason: 'forbidden', retryable: false } },
      ]);
      cleanups.push(() => fake.close());
      const stream = await driver.open({ url: fake.url, backoff: { baseMs: 1, maxMs: 10 } });
      const snapshot = await until(stream, (s) => s.state === 'closed', 'the terminal close');
      const firstWait = snapshot.statuses.find((status) => status.state === 'waiting');
      const secondConnect = snapshot.statuses.filter((status) => status.state === 'connecting')[1];
      expect((secondConnect?.at ?? 0) - (firstWait?.at ?? 0)).toBeGreaterThanOrEqual(995);
      expect(snapshot.errors).toMatchObject([{ code: 'LIVELOG_CLIENT_ERR_FORBIDDEN' }]);
      expect(snapshot.stats.attempts).toBe(3);
      expectExactly((await stream.snapshot()).seqs, 2);
    });

    describe('fatal answers stop the stream with an error', () => {
      const cases = [
        { name: '401 without a token', token: undefined, filter: undefined, code: 'LIVELOG_CLIENT_ERR_UNAUTHORIZED', status: 401 },
        {
          name: '403 with an ingest-only token',
          token: 'ingest-only-1',
          filter: undefined,
          code: 'LIVELOG_CLIENT_ERR_FORBIDDEN',
          status: 403,
        },
        {
          name: '400 for a bad filter',
          token: 'reader-token-1',
          filter: { level: 'loud' },
          code: 'LIVELOG_CLIENT_ERR_BAD_REQUEST',
          status: 400,
        },
      ] as const;
      for (const testCase of cases) {
        it(testCase.name, async () => {
          const target = await server({ tokens: ['reader-token-1:read', 'ingest-only-1:ingest'] });
          const stream = await driver.open({
            url: await via(target),
            backoff: { baseMs: 1, maxMs: 5 },
            ...(testCase.token ? { token: testCase.token } : {}),
            ...(testCase.filter ? { filter: testCase.filter as never } : {}),
          });
          const snapshot = await until(stream, (s) => s.state === 'closed', 'closed');
          expect(snapshot.errors).toMatchObject([{ code: testCase.code, status: testCase.status }]);
          expect(snapshot.stats.attempts).toBe(1);
        });
      }
    });

    it('retries a refusal for too many readers (a retryable close "busy") until a slot frees up', async () => {
      const target = await server({ maxReaders: '1', retry: '300ms' });
      const occupant = openSse(`${target.url}/api/stream`, {}, {});
      await waitFor(() => target.server.engine.broker.stats.readers === 1, { what: 'the occupant' });
      const stream = await driver.open({ url: await via(target), start: { fromStart: true }, backoff: { baseMs: 5, maxMs: 20 } });
      // An EventSource-style request is refused as a stream that closes with `busy` (a 503 would end a browser's EventSource).
      const refused = await until(
        stream,
        (s) => s.statuses.some((status) => status.error === 'LIVELOG_CLIENT_ERR_SERVER_CLOSED'),
        'a busy refusal',
      );
      // Its `retry:` (the server's 300 ms, plus up to as much again) is a floor under the 5-20 ms backoff, as Retry-After was.
      const waiting = refused.statuses.find((status) => status.error === 'LIVELOG_CLIENT_ERR_SERVER_CLOSED');
      expect(waiting?.nextRetryMs).toBeGreaterThanOrEqual(300);
      occupant.close();
      await until(stream, (s) => s.state === 'open', 'open');
      await ingest(target.url, 3);
      await until(stream, (s) => s.count >= 3, '3 entries');
      expectExactly((await stream.snapshot()).seqs, 3);
    });

    it('moves its cursor past filtered entries (id-only events) and resumes from there', async () => {
      const target = await server();
      const proxy = await proxyTo(portOf(target.url));
      const batch = (from: number): string =>
        Array.from({ length: 10 }, (_, i) => JSON.stringify({ msg: `m ${from + i}`, level: (from + i) % 3 === 0 ? 'warn' : 'info' })).join(
          '\n',
        );
      await postLogs(target.url, `${batch(1)}\n`);
      const stream = await driver.open({ url: proxy.url(), start: { fromStart: true }, filter: { level: 'warn' } });
      const first = await until(stream, (s) => s.lastEventId.endsWith(':10'), 'the cursor past seq 10');
      expectExactly((await stream.snapshot()).seqs, 3, [3, 6, 9]);
      proxy.cutAll();
      await postLogs(target.url, `${batch(11)}\n`);
      await until(stream, (s) => s.lastEventId.endsWith(':20') && s.hellos >= 2, 'the cursor past seq 20');
      expectExactly((await stream.snapshot()).seqs, 6, [3, 6, 9, 12, 15, 18]);
      expect(first.stats.duplicates).toBe(0);
    });

    it('reports a gap when retention removed what it asked for, and a reset for a foreign id', async () => {
      const target = await server({ retainEntries: '10', ringEntries: '5' });
      const reply = await ingest(target.url, 100);
      const streamId = reply.firstId.split(':')[0] as string;
      await waitFor(
        async () => {
          const page = await getJson<{ entries: { seq: number }[] }>(target.url, '/api/logs?from=start&limit=1');
          return (page.body.entries[0]?.seq ?? 0) > 1;
        },
        { what: 'retention' },
      );
      const gapped = await driver.open({ url: await via(target), start: { lastEventId: `${streamId}:0` } });
      const snapshot = await until(gapped, (s) => s.lastSeq === 100, 'entry 100');
      expect(snapshot.gaps).toHaveLength(1);
      const gap = snapshot.gaps[0];
      expect(gap?.missed).toBe((gap?.toSeq ?? 0) - (gap?.fromSeq ?? 0) + 1);
      expect(gap?.fromSeq).toBe(1);
      expectExactly(
        (await gapped.snapshot()).seqs,
        0,
        Array.from({ length: 100 - (gap?.toSeq ?? 0) }, (_, i) => (gap?.toSeq ?? 0) + 1 + i),
      );
      expect(snapshot.stats).toMatchObject({ gaps: 1, missedInGaps: gap?.missed, missing: 0 });

      const reset = await driver.open({ url: await via(target), start: { lastEventId: 'elsewhere:5', tail: 3 } });
      const resetSnapshot = await until(reset, (s) => s.lastSeq === 100, 'entry 100 after reset');
      expect(resetSnapshot.resets).toBe(1);
      expectExactly((await reset.snapshot()).seqs, 3, [98, 99, 100]);
    });

    it('iterates with a bounded buffer: a slow consumer slows the reader, and loses nothing', async () => {
      const target = await server();
      const stream = await driver.open({
        url: await via(target),
        start: { fromStart: true },
        consume: 'iterator',
        highWaterMark: 20,
        consumerDelayMs: 2,
      });
      for (let i = 0; i < 4; i++) await ingest(target.url, 250);
      await until(stream, (s) => s.count >= 1000, '1000 entries');
      expectExactly((await stream.snapshot()).seqs, 1000);
      await stream.close();
    });
  });
}
