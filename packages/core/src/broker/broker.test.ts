import type { LogEntry } from '@livelog/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewEntry } from '../entry/new-entry.js';
import type { SseSink } from '../sse/sse-sink.js';
import { MemoryStore } from '../store/memory-store.js';
import { Broker, type BrokerOptions } from './broker.js';

/**
 * A sink that records what it is given, parses it like a browser would (ids, events), and can
 * pretend its socket is full.
 */
class RecordingSink implements SseSink {
  text = '';
  closed = false;
  full = false;
  /** When set, `drain` is emitted on the next tick after a refused write, as Node may do. */
  drainOnNextTick = false;
  #drain: (() => void)[] = [];
  #close: (() => void)[] = [];

  write(chunk: Buffer | string): boolean {
    this.text += chunk.toString();
    if (this.full && this.drainOnNextTick) {
      process.nextTick(() => this.drain());
      return false;
    }
    return !this.full;
  }
  onceDrain(listener: () => void): void {
    this.#drain.push(listener);
  }
  onceClose(listener: () => void): void {
    this.#close.push(listener);
  }
  end(): void {
    this.#closeNow();
  }
  destroy(): void {
    this.#closeNow();
  }
  drain(): void {
    for (const listener of this.#drain.splice(0)) listener();
  }
  #closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.#close.splice(0)) listener();
  }
  /** Entries received so far, in order. */
  entries(): LogEntry[] {
    return [...this.text.matchAll(/^data: (\{"id".*)$/gm)].map((match) => JSON.parse(match[1] as string) as LogEntry);
  }
  seqs(): number[] {
    return this.entries().map((entry) => entry.seq);
  }
  events(name: string): unknown[] {
    return [...this.text.matchAll(new RegExp(`^event: ${name}\\n(?:id: .*\\n)?(?:retry: .*\\n)?data: (.*)$`, 'gm'))].map((match) =>
      JSON.parse(match[1] as string),
    );
  }
}

const line = (msg: string, extra: Partial<NewEntry> = {}): NewEntry => ({ time: 1, level: 'info', source: 'x', msg, ...extra });
const batch = (count: number, prefix = 'm'): NewEntry[] => Array.from({ length: count }, (_, i) => line(`${prefix}${i}`));
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function until(condition: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

let broker: Broker | undefined;
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});

async function setup(options: BrokerOptions = {}): Promise<{ store: MemoryStore; broker: Broker }> {
  const store = new MemoryStore({ streamId: 's' });
  await store.open();
  broker = new Broker(store, options);
  await broker.start();
  return { store, broker };
}

describe('Broker', () => {
  it('delivers catch-up and live entries through one path, exactly once and in order', async () => {
    const { store, broker } = await setup({ ring: { maxEntries: 50 }, pageSize: 7 });
    await store.append(batch(200));
    const sink = new RecordingSink();
    await broker.subscribe(sink, { start: { fromStart: true } });
    for (let i = 0; i < 20; i++) await store.append(batch(5));
    await until(() => sink.seqs().length === 300, '300 entries');
    expect(sink.seqs()).toEqual(range(1, 300));
  });

  // Regression: the replay-then-register race. Readers that connect while appends keep coming must
  // each get exactly (cursor, head] and then every later entry, nothing missing, nothing twice.
  it('has no seam between replay and live while appends keep arriving', async () => {
    const { store, broker } = await setup({ ring: { maxEntries: 100 }, pageSize: 13 });
    const readers: { start: number; sink: RecordingSink }[] = [];
    let appended = 0;
    const writer = (async () => {
      for (let i = 0; i < 300; i++) {
        await store.append(batch(1 + (i % 7)));
        appended += 1 + (i % 7);
        if (i % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let i = 0; i < 40; i++) {
      const start = Math.floor(Math.random() * (appended + 1));
      const sink = new RecordingSink();
      await broker.subscribe(sink, { start: { lastEventId: `s:${start}` } });
      readers.push({ start, sink });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await writer;
    for (const { start, sink } of readers) {
      await until(() => sink.seqs().length === appended - start, `reader from ${start}`);
      expect(sink.seqs()).toEqual(range(start + 1, appended));
    }
  });

  it('waits for drain instead of dropping when the socket is full, then catches up', async () => {
    const { store, broker } = await setup({ ring: { maxEntries: 20 }, maxWriteBytes: 512 });
    const sink = new RecordingSink();
    await broker.subscribe(sink, { start: { fromStart: true } });
    sink.full = true;
    await store.append(batch(10));
    const writtenWhileFull = sink.seqs().length;
    for (let i = 0; i < 50; i++) await store.append(batch(10));
    // Nothing more is written while the socket is full: the reader's cursor simply waits.
    expect(sink.seqs().length).toBe(writtenWhileFull);
    sink.full = false;
    sink.drain();
    await until(() => sink.seqs().length === 510, 'catch-up after drain');
    expect(sink.seqs()).toEqual(range(1, 510));
  });

  // Regression: Node can emit 'drain' on the next tick after a refused write, before the delivery
  // loop's promise settles; that wake-up was lost and the reader stalled until the next append.
  it('does not lose a drain that arrives while the delivery loop is exiting', async () => {
    const { store, broker } = await setup({ ring: { maxEntries: 10_000 }, maxWriteBytes: 256 });
    await store.append(batch(500));
    const sink = new RecordingSink();
    sink.full = true;
    sink.drainOnNextTick = true;
    await broker.subscribe(sink, { start: { fromStart: true } });
    await until(() => sink.seqs().length === 500, 'all 500 without another append');
    expect(sink.seqs()).toEqual(range(1, 500));
  });

  it('disconnects a reader whose socket stays full past the stall limit', async () => {
    const { store, broker } = await setup({ stallTimeoutMs: 50, heartbeatMs: 20 });
    const sink = new RecordingSink();
    await broker.subscribe(sink);
    sink.full = true;
    await store.append(batch(3));
    await until(() => sink.closed, 'stall disconnect');
    expect(broker.stats.stalled).toBe(1);
    expect(broker.stats.readers).toBe(0);
  });

  it('writes heartbeats to idle readers only', async () => {
    const { broker } = await setup({ heartbeatMs: 20 });
    const sink = new RecordingSink();
    await broker.subscribe(sink);
    await until(() => (sink.text.match(/^:\n\n/gm) ?? []).length >= 3, 'heartbeats');
  });

  it('advances filtered readers past skipped entries with id-only events', async () => {
    const { store, broker } = await setup();
    const sink = new RecordingSink();
    await broker.subscribe(sink, { filter: { level: 'error' } });
    await store.append([line('a'), line('b', { level: 'error' }), line('c')]);
    await until(() => sink.text.includes('id: s:3\n\n'), 'id-only for 3');
    expect(sink.seqs()).toEqual([2]);
  });

  it('reports a gap for entries retention removed and never re-sends what it skipped', async () => {
    const { store, broker } = await setup({ ring: { maxEntries: 5 } });
    await store.append(batch(30));
    await store.prune({ maxEntries: 10 }, 100);
    broker.retainedFrom((await store.bounds()).first);
    const sink = new RecordingSink();
    await broker.subscribe(sink, { start: { lastEventId: 's:4' } });
    await until(() => sink.seqs().length === 10, '10 retained');
    expect(sink.events('gap')).toEqual([{ after: 's:4', resumeAt: 's:20', missed: 16, fromSeq: 5, toSeq: 20, reason: 'retention' }]);
    expect(sink.seqs()).toEqual(range(21, 30));
    expect(broker.stats).toMatchObject({ gaps: 1, missed: 16 });
  });

  it('closes every reader with a retryable reason', async () => {
    const { broker } = await setup();
    const sinks = [new RecordingSink(), new RecordingSink()];
    for (const sink of sinks) await broker.subscribe(sink);
    broker.closeAll('shutdown');
    for (const sink of sinks) {
      expect(sink.closed).toBe(true);
      expect(sink.events('close')).toEqual([{ reason: 'shutdown', retryable: true }]);
    }
    expect(broker.stats.readers).toBe(0);
  });
});
