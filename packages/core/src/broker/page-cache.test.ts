import type { GapEvent } from '@livelog/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewEntry } from '../entry/new-entry.js';
import type { StoredEntry } from '../store/log-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { Broker } from './broker.js';
import { frameOffsets, PageCache } from './page-cache.js';
import { RecordingSink } from './recording-sink.js';

const entries = (count: number): NewEntry[] =>
  Array.from({ length: count }, (_, i) => ({ time: 1, level: 'info', source: 'x', msg: `line ${i + 1}` }));
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** The seqs of the entry frames in `frames`, in order. */
const seqsOf = (frames: Buffer | undefined): number[] =>
  [...(frames?.toString() ?? '').matchAll(/^data: .*\nid: [^:\n]+:(\d+)$/gm)].map((match) => Number(match[1]));

/** A memory store whose `readAfter` counts its calls and can be held until released. */
class CountingStore extends MemoryStore {
  reads = 0;
  /** The limit of each read, in order. */
  readonly limits: number[] = [];
  #held: (() => void)[] | undefined;

  hold(): void {
    this.#held = [];
  }

  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const resolve of held) resolve();
  }

  override async readAfter(afterSeq: number, limit: number): Promise<StoredEntry[]> {
    this.reads++;
    this.limits.push(limit);
    const held = this.#held;
    if (held !== undefined) await new Promise<void>((resolve) => held.push(resolve));
    return super.readAfter(afterSeq, limit);
  }
}

async function openStore(count: number): Promise<CountingStore> {
  const store = new CountingStore({ streamId: 's' });
  await store.open();
  if (count > 0) await store.append(entries(count));
  return store;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
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

describe('PageCache', () => {
  it('reads aligned pages: the rest of the cursor page, then whole pages, each entry once', async () => {
    const store = await openStore(35);
    const pages = new PageCache({ pageSize: 10 }).forStream(store);
    const first = await pages.read(3);
    expect(first).toMatchObject({ firstSeq: 4, lastSeq: 10, count: 7 });
    expect(seqsOf(first?.frames)).toEqual(range(4, 10));
    expect(seqsOf((await pages.read(10))?.frames)).toEqual(range(11, 20));
    // The newest page is still filling: it holds what there is, and is read again for more.
    expect(seqsOf((await pages.read(30))?.frames)).toEqual(range(31, 35));
    await store.append(entries(3));
    expect(seqsOf((await pages.read(35))?.frames)).toEqual(range(36, 38));
    expect(await pages.read(38)).toBeUndefined();
  });

  it('shares one store read among concurrent readers of a page, and serves later ones from the cache', async () => {
    const store = await openStore(2500);
    const cache = new PageCache({ pageSize: 1000 });
    const pages = cache.forStream(store);
    store.hold();
    const cursors = Array.from({ length: 50 }, (_, i) => 1000 + i * 17);
    const reading = cursors.map((cursor) => pages.read(cursor));
    await until(() => store.reads > 0, 'the first read');
    store.release();
    const read = await Promise.all(reading);
    expect(store.reads).toBe(1);
    for (const [i, cursor] of cursors.entries()) expect(seqsOf(read[i]?.frames)).toEqual(range(cursor + 1, 2000));
    expect(seqsOf((await pages.read(1999))?.frames)).toEqual([2000]);
    expect(store.reads).toBe(1);
    expect(cache.stats).toMatchObject({ reads: 1, shares: 50, evictions: 0, pages: 1 });
  });

  it('reads a run of the pages a reader far behind has to go in one store read, and serves each from it', async () => {
    const store = await openStore(35);
    const cache = new PageCache({ pageSize: 10, runPages: 4 });
    const pages = cache.forStream(store);
    expect(seqsOf((await pages.read(3, undefined, 4))?.frames)).toEqual(range(4, 10));
    expect(store.limits).toEqual([40]);
    expect(seqsOf((await pages.read(10))?.frames)).toEqual(range(11, 20));
    expect(seqsOf((await pages.read(24))?.frames)).toEqual(range(25, 30));
    // The newest page, still filling, came with the run: it holds what there was, and is read again for more.
    expect(seqsOf((await pages.read(30))?.frames)).toEqual(range(31, 35));
    expect(store.reads).toBe(1);
    await store.append(entries(3));
    expect(seqsOf((await pages.read(35, undefined, 4))?.frames)).toEqual(range(36, 38));
    expect(cache.stats).toMatchObject({ reads: 2, pages: 4 });
    // A run stops at the first page held or being read: pages 0 and 1 are, so a run from page 2 is one page.
    const fresh = new PageCache({ pageSize: 10, runPages: 4 }).forStream(store);
    await fresh.read(10);
    expect(seqsOf((await fresh.read(0, undefined, 4))?.frames)).toEqual(range(1, 10));
    expect(store.limits).toEqual([40, 40, 10, 10]);
  });

  it('splits a run that retention cut: pages left without entries are empty, the rest start at the first entry left', async () => {
    const store = await openStore(40);
    await store.prune({ maxEntries: 25 }, 1000);
    const pages = new PageCache({ pageSize: 10, runPages: 4 }).forStream(store);
    expect(await pages.read(0, undefined, 4)).toBeUndefined();
    expect(store.reads).toBe(1);
    expect(seqsOf((await pages.read(15))?.frames)).toEqual(range(16, 20));
    expect(seqsOf((await pages.read(20))?.frames)).toEqual(range(21, 30));
    expect(seqsOf((await pages.read(30))?.frames)).toEqual(range(31, 40));
    expect(store.reads).toBe(1);
  });

  it('delivers every entry once, in order, to a reader far behind reading runs through the broker', async () => {
    const store = await openStore(1000);
    const cache = new PageCache({ pageSize: 10, runPages: 4 });
    broker = new Broker(store, { pageCache: cache, ring: { maxEntries: 5 } });
    await broker.start();
    const sink = new RecordingSink();
    await broker.subscribe(sink, { start: { lastEventId: 's:3' } });
    await until(() => sink.seqs().at(-1) === 1000, 'the reader');
    expect(sink.seqs()).toEqual(range(4, 1000));
    // 100 pages in runs of up to 4: far fewer store reads than pages.
    expect(store.reads).toBeLessThanOrEqual(40);
  });

  it('lets readers of held pages past the turn budget: only store reads wait for a turn', async () => {
    // A reconnect storm: every reader of an already read page costs a socket write, not a store read.
    // When each of them took one of the broker's pages per turn, 20 readers of 3 held pages at 1 page
    // per turn needed 60 turns of the event loop; they need none beyond the one they start in.
    const store = await openStore(3000);
    // One store read per page (runPages: 1), as counted below.
    const cache = new PageCache({ pageSize: 1000, runPages: 1 });
    // No bound on shared bytes either: that one is the next test's.
    broker = new Broker(store, {
      pageCache: cache,
      pagesPerTurn: 1,
      sharedBytesPerTurn: Number.POSITIVE_INFINITY,
      ring: { maxEntries: 5 },
    });
    await broker.start();
    const first = new RecordingSink();
    await broker.subscribe(first, { start: { fromStart: true } });
    await until(() => first.seqs().length === 3000, 'the first reader');
    expect(store.reads).toBe(3);
    const sinks = Array.from({ length: 20 }, () => new RecordingSink());
    for (const sink of sinks) await broker.subscribe(sink, { start: { fromStart: true } });
    let turns = 0;
    while (turns < 100 && !sinks.every((sink) => sink.text.includes('id: s:3000\n'))) {
      await new Promise((resolve) => setImmediate(resolve));
      turns++;
    }
    expect(turns).toBeLessThanOrEqual(1);
    for (const sink of sinks) expect(sink.seqs()).toEqual(range(1, 3000));
    expect(store.reads).toBe(3);
    expect(cache.stats).toMatchObject({ reads: 3, shares: 60 });
  });

  it('writes shared pages within the broker’s bytes per turn: a storm of readers of one page does not write it everywhere in one turn', async () => {
    // Without the bound all 20 readers wrote all 3 held pages (60,000 entries) in the turn they started
    // in, and a reader whose socket took a page at once went on to the next in the same turn, while
    // live readers and ingest waited. With 1 byte per turn, each turn writes one shared page.
    const store = await openStore(3000);
    const cache = new PageCache({ pageSize: 1000, runPages: 1 });
    broker = new Broker(store, { pageCache: cache, sharedBytesPerTurn: 1, ring: { maxEntries: 5 } });
    await broker.start();
    const first = new RecordingSink();
    await broker.subscribe(first, { start: { fromStart: true } });
    await until(() => first.seqs().length === 3000, 'the first reader');
    const started = broker.stats.delivered;
    const sinks = Array.from({ length: 20 }, () => new RecordingSink());
    const perTurn: number[] = [];
    let seen = started;
    let turns = 0;
    const subscribing = Promise.all(sinks.map((sink) => broker?.subscribe(sink, { start: { fromStart: true } })));
    while (turns < 1000 && broker.stats.delivered < started + 60_000) {
      await new Promise((resolve) => setImmediate(resolve));
      perTurn.push(broker.stats.delivered - seen);
      seen = broker.stats.delivered;
      turns++;
    }
    await subscribing;
    expect(Math.max(...perTurn)).toBeLessThanOrEqual(1000);
    for (const sink of sinks) expect(sink.seqs()).toEqual(range(1, 3000));
    expect(store.reads).toBe(3);
  });

  it('evicts the least recently used pages to stay within its bytes, over every stream', async () => {
    const one = await openStore(40);
    const other = await openStore(40);
    const probe = new PageCache({ pageSize: 10 });
    await probe.forStream(one).read(0);
    const pageBytes = probe.stats.bytes;
    one.reads = 0;
    // Room for three pages: a fourth evicts the one used least recently.
    const cache = new PageCache({ pageSize: 10, maxBytes: pageBytes * 3 + pageBytes / 2 });
    const a = cache.forStream(one);
    const b = cache.forStream(other);
    await a.read(0);
    await a.read(10);
    await b.read(0);
    await a.read(0); // page 0 of `one` is now the most recent
    expect(one.reads + other.reads).toBe(3);
    await b.read(10);
    expect(cache.stats).toMatchObject({ pages: 3, evictions: 1 });
    expect(cache.stats.bytes).toBeLessThanOrEqual(cache.maxBytes);
    const reads = one.reads;
    await a.read(0);
    expect(one.reads).toBe(reads);
    await a.read(10);
    expect(one.reads).toBe(reads + 1);
  });

  it('never serves a line retention removed: the reader gets its gap, even before the broker is told', async () => {
    const store = await openStore(100);
    const cache = new PageCache({ pageSize: 10 });
    broker = new Broker(store, { pageCache: cache, ring: { maxEntries: 5 } });
    await broker.start();
    const warm = new RecordingSink();
    await broker.subscribe(warm, { start: { fromStart: true } });
    await until(() => warm.seqs().length === 100, 'the first reader');
    expect(cache.stats.pages).toBe(10);
    // Hits are checked against the store's bounds as asked once per turn (see #retainedFrom), forgotten
    // at the next setImmediate: a bound the first reader asked in its last turn would still hold in this
    // one, so the prune (and this reader) come a turn later, as the pruner's own callback would.
    await new Promise((resolve) => setImmediate(resolve));

    await store.prune({ maxEntries: 75 }, 1000);
    // The pruner has not called retainedFrom yet: the cached pages 0..2 still hold seqs 1..30.
    const behind = new RecordingSink();
    await broker.subscribe(behind, { start: { lastEventId: 's:5' } });
    await until(() => behind.seqs().at(-1) === 100, 'the reader behind retention');
    expect(behind.seqs()).toEqual(range(26, 100));
    expect(behind.events('gap')).toEqual([expect.objectContaining<Partial<GapEvent>>({ fromSeq: 6, toSeq: 25, missed: 20 })]);

    broker.retainedFrom(26);
    expect(cache.stats.pages).toBeLessThanOrEqual(8);
    const again = new RecordingSink();
    await broker.subscribe(again, { start: { lastEventId: 's:12' } });
    await until(() => again.seqs().at(-1) === 100, 'a reader after retainedFrom');
    expect(again.seqs()).toEqual(range(26, 100));
    expect(again.events('gap')).toEqual([expect.objectContaining<Partial<GapEvent>>({ fromSeq: 13, toSeq: 25 })]);
  });

  it('drops a stream’s pages when it ends, and when its broker stops', async () => {
    const store = await openStore(30);
    const cache = new PageCache({ pageSize: 10 });
    broker = new Broker(store, { pageCache: cache, ring: { maxEntries: 5 } });
    await broker.start();
    const sink = new RecordingSink();
    await broker.subscribe(sink, { start: { fromStart: true } });
    await until(() => sink.seqs().length === 30, 'the reader');
    expect(cache.stats.pages).toBeGreaterThan(0);
    await store.end({ exitCode: 0 });
    expect(cache.stats).toMatchObject({ pages: 0, bytes: 0 });

    const open = await openStore(30);
    const other = new Broker(open, { pageCache: cache, ring: { maxEntries: 5 } });
    await other.start();
    const reader = new RecordingSink();
    await other.subscribe(reader, { start: { fromStart: true } });
    await until(() => reader.seqs().length === 30, 'the reader of the other stream');
    expect(cache.stats.pages).toBeGreaterThan(0);
    await other.stop();
    expect(cache.stats).toMatchObject({ pages: 0, bytes: 0 });
  });

  it('does not keep a page whose read an invalidation overtook', async () => {
    const store = await openStore(30);
    const cache = new PageCache({ pageSize: 10 });
    const pages = cache.forStream(store);
    store.hold();
    const reading = pages.read(0);
    await until(() => store.reads > 0, 'the read');
    pages.dropBefore(5);
    store.release();
    expect(seqsOf((await reading)?.frames)).toEqual(range(1, 10));
    expect(cache.stats.pages).toBe(0);
  });
});

describe('frameOffsets', () => {
  it('finds where each frame starts, and refuses a buffer that does not split into the frames it should', () => {
    const first = 'data: {"a":"x\\n\\ny"}\nid: s:1\n\n';
    const frames = Buffer.from(`${first}data: {}\nid: s:2\n\n`);
    expect([...frameOffsets(frames, 2)]).toEqual([0, first.length, frames.length]);
    expect(() => frameOffsets(frames, 3)).toThrow(/does not split/);
    expect(() => frameOffsets(frames, 1)).toThrow(/does not split/);
  });
});
