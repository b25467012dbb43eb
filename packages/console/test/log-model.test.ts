import type { GapEvent } from '@livelog/protocol';
import { ChaosProxy, getJson, ingest, startServer, waitFor } from '@livelog/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { LogModel } from '../src/state/log-model.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const quiet = { changed() {}, appended() {}, status() {}, gap() {}, recovered() {} };

describe('LogModel (through @livelog/client, against a real server)', () => {
  it('pages older lines again after a reload cut a page load short (regression: "Loading older lines" stuck)', async () => {
    const server = await startServer({ retry: '5ms' });
    cleanups.push(() => server.close());
    const proxy = await ChaosProxy.start({ port: Number(new URL(server.url).port) });
    cleanups.push(() => proxy.close());
    await ingest(server.url, 2000, 'line');
    const model = new LogModel({ url: proxy.url() }, quiet, { maxLines: 10_000, tail: 100 });
    cleanups.push(() => model.stop());
    model.start({}, () => true);
    await waitFor(() => model.buffer.size === 100 && model.statusLine.connection.state === 'live', { what: 'the tail' });

    // A page load that cannot finish: its answer is held while the view reloads under it.
    proxy.stall();
    const cutShort = model.loadOlder();
    expect(model.loadingOlder).toBe(true);
    model.reloadLive();
    proxy.resume();
    await cutShort;
    await waitFor(() => model.buffer.size === 100 && model.buffer.first?.seq === 1901, { what: 'the reloaded tail' });
    expect(model.loadingOlder).toBe(false);

    await model.loadOlder();
    expect(model.buffer.first?.seq).toBe(1401);
    expect(model.buffer.entries().map((entry) => entry.seq)).toEqual(Array.from({ length: 600 }, (_, i) => 1401 + i));
  });
});

describe('LogModel: the gap a history page reports', () => {
  it('marks it once, between the last line before it and the first retained one, when paging forward from a permalink', async () => {
    const server = await startServer({ retainEntries: 1000 });
    cleanups.push(() => server.close());
    await ingest(server.url, 600, 'old');
    const first = await getJson<{ entries: { id: string }[] }>(server.url, '/api/logs?from=start&limit=1');
    const stream = (first.body.entries[0]?.id ?? '').split(':')[0];
    const gaps: GapEvent[] = [];
    const model = new LogModel({ url: server.url }, { ...quiet, gap: (gap) => gaps.push(gap) }, { maxLines: 10_000, tail: 100 });
    cleanups.push(() => model.stop());
    model.start({}, () => true);
    expect(await model.jumpTo(`${stream}:5`)).toBe('found');
    expect(model.buffer.entries().at(-1)?.seq).toBe(504);

    // Retention passes the window's end while it is on screen: 505..1100 are gone when the view pages on.
    await ingest(server.url, 1500, 'new');
    await server.server.engine.pruner.runOnce();
    await model.loadNewer();
    const rows = model.buffer.rows;
    const at = rows.findIndex((row) => row.kind === 'gap');
    expect(rows.filter((row) => row.kind === 'gap')).toHaveLength(1);
    expect(rows[at]).toMatchObject({ fromSeq: 505, toSeq: 1100, missed: 596 });
    expect([rows[at - 1], rows[at + 1]].map((row) => (row?.kind === 'entry' ? row.entry.seq : row?.kind))).toEqual([504, 1101]);
    expect(gaps.map((gap) => gap.missed)).toEqual([596]);
    expect(model.lastGap?.missed).toBe(596);

    // The stream reporting the same range again adds neither a marker nor an announcement.
    model.noteGap(gaps[0] as GapEvent, true);
    expect(model.buffer.rows.filter((row) => row.kind === 'gap')).toHaveLength(1);
    expect(gaps).toHaveLength(1);
  });

  it('marks the lines a permalink named that retention removed, before the first retained one', async () => {
    const server = await startServer({ retainEntries: 100 });
    cleanups.push(() => server.close());
    await ingest(server.url, 300, 'line');
    await server.server.engine.pruner.runOnce();
    const first = await getJson<{ entries: { id: string }[] }>(server.url, '/api/logs?from=start&limit=1');
    const stream = (first.body.entries[0]?.id ?? '').split(':')[0];
    const gaps: GapEvent[] = [];
    const model = new LogModel({ url: server.url }, { ...quiet, gap: (gap) => gaps.push(gap) }, { maxLines: 10_000, tail: 100 });
    cleanups.push(() => model.stop());
    model.start({}, () => true);
    expect(await model.jumpTo(`${stream}:50`)).toBe('missing');
    const rows = model.buffer.rows;
    expect(rows[0]).toMatchObject({ kind: 'gap', fromSeq: 50, toSeq: 200, missed: 151 });
    expect(rows[1]?.kind === 'entry' && rows[1].entry.seq).toBe(201);
    expect(rows.filter((row) => row.kind === 'gap')).toHaveLength(1);
    expect(gaps.map((gap) => gap.missed)).toEqual([151]);
  });
});
