import { getJson, ingest, postLogs, waitFor } from '@livelog/test-utils';
import { expect, it } from 'vitest';
import { expectExactly, portOf, type SuiteContext } from './client-suite-context.js';

/** The client suite: its position past filtered entries, gaps and resets, and iteration with a bounded buffer. */
export function describePosition(ctx: SuiteContext): void {
  const { server, proxyTo, via, until } = ctx;
  it('moves its cursor past filtered entries (id-only events) and resumes from there', async () => {
    const target = await server();
    const proxy = await proxyTo(portOf(target.url));
    const batch = (from: number): string =>
      Array.from({ length: 10 }, (_, i) => JSON.stringify({ msg: `m ${from + i}`, level: (from + i) % 3 === 0 ? 'warn' : 'info' })).join(
        '\n',
      );
    await postLogs(target.url, `${batch(1)}\n`);
    const stream = await ctx.driver.open({ url: proxy.url(), start: { fromStart: true }, filter: { level: 'warn' } });
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
    const gapped = await ctx.driver.open({ url: await via(target), start: { lastEventId: `${streamId}:0` } });
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

    const reset = await ctx.driver.open({ url: await via(target), start: { lastEventId: 'elsewhere:5', tail: 3 } });
    const resetSnapshot = await until(reset, (s) => s.lastSeq === 100, 'entry 100 after reset');
    expect(resetSnapshot.resets).toBe(1);
    expectExactly((await reset.snapshot()).seqs, 3, [98, 99, 100]);
  });

  it('iterates with a bounded buffer: a slow consumer slows the reader, and loses nothing', async () => {
    const target = await server();
    const stream = await ctx.driver.open({
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
}
