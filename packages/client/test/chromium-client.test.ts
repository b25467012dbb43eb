import { endStream } from '@livelog/client';
import { ChaosProxy, delay, ingest, startServer, type TestServer, waitFor } from '@livelog/test-utils';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ChromiumDriver, chromiumDriver } from './support/chromium-driver.js';
import type { DriverOpenOptions } from './support/client-driver.js';
import { describeClientSuite, expectExactly } from './support/client-suite.js';
import { startFakeServer } from './support/fake-server.js';
import type { RecorderSnapshot } from './support/stream-recorder.js';

describeClientSuite('Chromium', () => chromiumDriver());

describe('@livelog/client in Chromium: pages and tabs', () => {
  let driver: ChromiumDriver;
  const cleanups: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    driver = await chromiumDriver();
  });
  afterAll(async () => {
    await driver?.dispose();
  });
  afterEach(async () => {
    for (const page of driver.context.pages()) await page.close();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A server behind a proxy; pages live on the proxy's origin, whose sockets the proxy cuts at cleanup. */
  async function served(heartbeat = '100ms'): Promise<{ target: TestServer; proxy: ChaosProxy }> {
    const target = await startServer({ heartbeat, retry: '5ms' });
    cleanups.push(() => target.close());
    const proxy = await ChaosProxy.start({ port: Number(new URL(target.url).port) });
    cleanups.push(() => proxy.close());
    return { target, proxy };
  }
  const open = (page: Page, id: string, options: DriverOpenOptions): Promise<void> =>
    page.evaluate(([streamId, streamOptions]) => globalThis.livelogHarness.open(streamId, streamOptions), [id, options] as const);
  const snapshot = (page: Page, id: string): Promise<RecorderSnapshot> =>
    page.evaluate((streamId) => globalThis.livelogHarness.snapshot(streamId, true), id);
  const until = (page: Page, id: string, condition: (s: RecorderSnapshot) => boolean, what: string): Promise<RecorderSnapshot> =>
    waitFor(
      async () => {
        const current = await snapshot(page, id);
        return condition(current) ? current : undefined;
      },
      { what, timeoutMs: 15_000 },
    );

  it('resumes from the cursor stored in sessionStorage after a reload', async () => {
    const { target, proxy } = await served();
    const page = await driver.newPage(proxy.url());
    const options: DriverOpenOptions = { url: proxy.url(), start: { fromStart: true }, persist: true, backoff: { baseMs: 5, maxMs: 50 } };
    await ingest(target.url, 20);
    await open(page, 'a', options);
    await until(page, 'a', (s) => s.count >= 20, '20 entries');
    const stored = await page.evaluate(() => Object.entries(sessionStorage));
    expect(stored).toHaveLength(1);
    expect(stored[0]?.[1]).toMatch(/:20$/);
    await page.reload();
    await page.waitForFunction(() => typeof globalThis.livelogHarness === 'object');
    await ingest(target.url, 10);
    await open(page, 'a', options);
    const after = await until(page, 'a', (s) => s.count >= 10, '10 more entries');
    // from=start would have replayed 1..30; the stored cursor wins.
    expectExactly(after.seqs, 10, [21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    expect(after.stats.resets).toBe(0);
  });

  it('three tabs share one connection, each sees every line once, and a new leader takes over', async () => {
    // A 1 s heartbeat, as for the ended stream below: with 100 ms, a loaded machine that stalled this
    // process (the server's) for 250 ms tripped the leader's watchdog, and its reconnect briefly made
    // two readers (or none) on the server.
    const { target, proxy } = await served('1s');
    const pages = [await driver.newPage(proxy.url()), await driver.newPage(proxy.url()), await driver.newPage(proxy.url())];
    for (const page of pages) await open(page, 't', { url: proxy.url(), share: true, backoff: { baseMs: 5, maxMs: 50 } });
    const roles = async (): Promise<string[]> => Promise.all(pages.map(async (page) => (await snapshot(page, 't')).stats.role));
    await waitFor(async () => (await roles()).sort().join() === 'follower,follower,leader', { what: 'one leader, two followers' });
    await waitFor(() => target.server.engine.broker.stats.readers === 1, { what: 'the leader connected' });
    for (let i = 0; i < 5; i++) await ingest(target.url, 20);
    const seen: RecorderSnapshot[] = [];
    for (const page of pages) seen.push(await until(page, 't', (s) => s.count >= 100, '100 entries'));
    for (const snap of seen) expectExactly(snap.seqs, 100);
    const connections = seen.map(({ stats }) => ({ role: stats.role, attempts: stats.attempts, watchdogTimeouts: stats.watchdogTimeouts }));
    expect(target.server.engine.broker.stats.readers, JSON.stringify(connections)).toBe(1);

    // The leader's tab goes away: the lock passes to another tab, which resumes from the relayed cursor.
    const leader = pages[(await roles()).indexOf('leader')] as Page;
    await leader.close();
    const rest = pages.filter((page) => page !== leader);
    await waitFor(async () => (await Promise.all(rest.map(async (page) => (await snapshot(page, 't')).stats.role))).includes('leader'), {
      what: 'a new leader',
    });
    await ingest(target.url, 50);
    for (const page of rest) {
      const seen = await until(page, 't', (s) => s.count >= 150, '150 entries');
      expectExactly(seen.seqs, 150);
      expect(seen.stats).toMatchObject({ duplicates: 0, outOfOrder: 0, missing: 0 });
    }
    await waitFor(() => target.server.engine.broker.stats.readers === 1, { what: 'one reader after the hand-over' });
  });

  it('a shared stream that ends: every tab gets every line, then `end`, and no tab reconnects', async () => {
    // A 1 s heartbeat: with 100 ms, the client's watchdog (2.5 heartbeats of silence) cut the leader's
    // connection when a loaded CI machine stalled its page for 250 ms, and the leader rightly reconnected.
    const { target, proxy } = await served('1s');
    const write = async (count: number, from: number): Promise<void> => {
      const body = Array.from({ length: count }, (_, i) => JSON.stringify({ msg: `job ${from + i}` })).join('\n');
      const response = await fetch(`${target.url}/api/streams/job-t/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: `${body}\n`,
      });
      expect(response.status).toBe(200);
    };
    await write(10, 1);
    const pages = [await driver.newPage(proxy.url()), await driver.newPage(proxy.url())];
    for (const page of pages) {
      await open(page, 'e', {
        url: proxy.url(),
        stream: 'job-t',
        start: { fromStart: true },
        share: true,
        backoff: { baseMs: 5, maxMs: 50 },
      });
    }
    const roles = async (): Promise<string[]> => Promise.all(pages.map(async (page) => (await snapshot(page, 'e')).stats.role));
    await waitFor(async () => (await roles()).sort().join() === 'follower,leader', { what: 'one leader, one follower' });
    await write(20, 11);
    const ended = await endStream(target.url, 'job-t', { exitCode: 5, reason: 'lint failed' });
    for (const page of pages) {
      const seen = await until(page, 'e', (s) => s.state === 'closed', 'the end');
      expectExactly(seen.seqs, 30);
      expect(seen.ends).toMatchObject([{ lastId: ended.lastId, exitCode: 5, reason: 'lint failed' }]);
      expect(seen.errors).toEqual([]);
    }
    // The leader released its lock at the end; the follower, ended too, must not take over and connect.
    await delay(300);
    const after = await Promise.all(pages.map((page) => snapshot(page, 'e')));
    for (const snap of after) expect(snap.statuses.at(-1)?.state).toBe('closed');
    // One connection in all: the leader's. A follower that missed the relayed end would connect too.
    const connections = after.map((snap) => ({ attempts: snap.stats.attempts, watchdogTimeouts: snap.stats.watchdogTimeouts }));
    expect(connections.map((c) => c.attempts).sort(), JSON.stringify(connections)).toEqual([0, 1]);
  });

  it('reconnects at once when the browser comes back online, however long the backoff', async () => {
    const fake = await startFakeServer([{ status: 503, retryAfter: 3600 }, { serveUpTo: 3 }]);
    cleanups.push(() => fake.close());
    const page = await driver.newPage(fake.url);
    await open(page, 'o', { url: fake.url, start: { fromStart: true } });
    await until(page, 'o', (s) => s.state === 'waiting', 'the hour-long wait');
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    const after = await until(page, 'o', (s) => s.count >= 3, 'the entries');
    expectExactly(after.seqs, 3);
    expect(fake.requests()).toBe(2);
  });

  it('reconnects from its cursor when the page becomes visible after being hidden long', async () => {
    const { target, proxy } = await served();
    const page = await driver.newPage(proxy.url());
    await open(page, 'v', { url: proxy.url(), start: { fromStart: true }, visibleReconnectMs: 50 });
    await ingest(target.url, 5);
    // Not `hellos === 1`: a loaded headless Chromium may report its own hidden-to-visible flip of a
    // new page, which this short threshold also answers with a resume.
    const { hellos } = await until(page, 'v', (s) => s.count >= 5, '5 entries');
    const setVisibility = (state: 'hidden' | 'visible'): Promise<void> =>
      page.evaluate((value) => {
        Object.defineProperty(document, 'visibilityState', { value, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
    await setVisibility('hidden');
    await delay(80);
    await setVisibility('visible');
    await until(page, 'v', (s) => s.hellos > hellos, 'a new connection');
    await ingest(target.url, 5);
    expectExactly((await until(page, 'v', (s) => s.count >= 10, '10 entries')).seqs, 10);
  });
});
