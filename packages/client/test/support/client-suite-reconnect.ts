import { backoffCeiling } from '@livelog/client';
import { delay, ingest, openSse, waitFor } from '@livelog/test-utils';
import { describe, expect, it } from 'vitest';
import { expectExactly, portOf, type SuiteContext } from './client-suite-context.js';
import { startFakeServer } from './fake-server.js';

/** The client suite: how it reconnects: backoff, the server's retry:, Retry-After, retryable and terminal closes. */
export function describeReconnects(ctx: SuiteContext): void {
  const { cleanups, server, proxyTo, via, until } = ctx;
  it('backs off with full jitter, capped, and waits what it says', async () => {
    const target = await server();
    const proxy = await proxyTo(portOf(target.url));
    proxy.refuse(true);
    const stream = await ctx.driver.open({ url: proxy.url(), backoff: { baseMs: 20, maxMs: 160 } });
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
    const stream = await ctx.driver.open({ url: proxy.url(), backoff: { baseMs: 5, maxMs: 20, healthyAfterMs: 2000, maxAttempts: 3 } });
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
    const stream = await ctx.driver.open({ url: proxy.url(), backoff: { maxMs: 10_000 } });
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
    const stream = await ctx.driver.open({ url: fake.url, backoff: { baseMs: 1, maxMs: 10 } });
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
    const stream = await ctx.driver.open({ url: fake.url, backoff: { baseMs: 1, maxMs: 10 } });
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
        const stream = await ctx.driver.open({
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
    const stream = await ctx.driver.open({ url: await via(target), start: { fromStart: true }, backoff: { baseMs: 5, maxMs: 20 } });
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
}
