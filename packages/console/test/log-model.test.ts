import { ChaosProxy, ingest, startServer, waitFor } from '@livelog/test-utils';
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
