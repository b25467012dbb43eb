import { ingest, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { describe, expect, it } from 'vitest';
import { expectExactly, portOf, type SuiteContext, seeded } from './client-suite-context.js';
import { fakeEntry, fakeHello, startFakeServer } from './fake-server.js';
import type { RecorderSnapshot } from './stream-recorder.js';

/** The client suite: every entry exactly once, in order, through cuts anywhere (even inside an event), restarts, stalls and damaged events. */
export function describeDelivery(ctx: SuiteContext): void {
  const { cleanups, server, proxyTo, until } = ctx;
  it('delivers 1..N exactly once and in order through 300 random cuts, many in the middle of an event', async () => {
    const target = await server();
    const proxy = await proxyTo(portOf(target.url));
    const stream = await ctx.driver.open({ url: proxy.url(), start: { fromStart: true }, backoff: { baseMs: 1, maxMs: 4 } });
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
    const stream = await ctx.driver.open({ url: proxy.url(), start: { fromStart: true }, backoff: { baseMs: 5, maxMs: 100 } });
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
    const stream = await ctx.driver.open({
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
      if (ctx.driver.dropsBytesOnError) expect([...before, dispatched]).toContain(header);
      else expect(header).toBe(dispatched);
    }

    for (const [where, partial] of Object.entries(cuts)) {
      it(`entry event cut ${where}`, async () => {
        const fake = await startFakeServer([{ raw: fakeHello(0) + fakeEntry(1) + fakeEntry(2) + partial }, { serveUpTo: 5 }]);
        cleanups.push(() => fake.close());
        const stream = await ctx.driver.open({ url: fake.url, backoff: { baseMs: 1, maxMs: 5 } });
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
        const stream = await ctx.driver.open({ url: fake.url, filter: { level: 'warn' }, backoff: { baseMs: 1, maxMs: 5 } });
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
      const stream = await ctx.driver.open({ url: fake.url, backoff: { baseMs: 1, maxMs: 5 } });
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
      const stream = await ctx.driver.open({ url: fake.url, backoff: { baseMs: 1, maxMs: 5 } });
      const snapshot = await until(stream, (s) => s.count >= 2 && s.lastEventId === 'fake:3', 'entry 3');
      expect(snapshot.stats.malformed).toBe(1);
      expectExactly((await stream.snapshot()).seqs, 2, [1, 3]);
    });
  });
}
