import { formatId } from '@livelog/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewEntry } from '../entry/new-entry.js';
import { encodeEntryFrame } from '../sse/encode-event.js';
import type { FramePage } from '../store/log-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { Broker } from './broker.js';
import { PageCache } from './page-cache.js';
import { ReadAhead } from './read-ahead.js';
import { RecordingSink } from './recording-sink.js';

const batch = (count: number): NewEntry[] =>
  Array.from({ length: count }, (_, i) => ({ time: 1, level: 'info', source: 'x', msg: `m${i}` }));
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A memory store that builds frame pages as the SQLite store does, and records where each read started. */
class FrameStore extends MemoryStore {
  readonly reads: number[] = [];

  async readFrames(afterSeq: number, limit: number, idPrefix: string): Promise<FramePage | undefined> {
    this.reads.push(afterSeq);
    const rows = await this.readAfter(afterSeq, limit);
    const first = rows[0];
    const last = rows.at(-1);
    if (first === undefined || last === undefined) return undefined;
    const frames = Buffer.from(rows.map((row) => encodeEntryFrame(formatId(idPrefix, row.seq), row.json)).join(''));
    return { firstSeq: first.seq, lastSeq: last.seq, count: rows.length, frames };
  }
}

let broker: Broker | undefined;
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});

/** A reader from the start of `store` whose socket is full after every write until drained. */
async function slowReader(store: FrameStore, pageCache?: PageCache): Promise<RecordingSink> {
  broker = new Broker(store, { ring: { maxEntries: 10 }, pageSize: 100, ...(pageCache === undefined ? {} : { pageCache }) });
  await broker.start();
  const sink = new RecordingSink();
  sink.full = true;
  await broker.subscribe(sink, { start: { fromStart: true } });
  // The opening events filled the socket; once drained, the first page fills it again.
  sink.drain();
  return sink;
}

describe('reading catch-up pages ahead', () => {
  it('asks for the next two pages while the socket drains, then delivers every entry once, in order', async () => {
    const store = new FrameStore({ streamId: 's' });
    await store.open();
    await store.append(batch(1000));
    const sink = await slowReader(store);
    await until(() => store.reads.length === 3, 'two pages read ahead');
    // Nothing is written meanwhile: the pages wait for the socket.
    expect(sink.seqs()).toEqual(range(1, 100));
    expect(store.reads).toEqual([0, 100, 200]);
    sink.full = false;
    sink.drain();
    await until(() => sink.seqs().length === 1000, 'catch-up');
    expect(sink.seqs()).toEqual(range(1, 1000));
    // Every page was read once.
    expect(store.reads.slice(0, 10)).toEqual(range(0, 9).map((page) => page * 100));
  });

  it('reads ahead through the page cache, on its page boundaries', async () => {
    const store = new FrameStore({ streamId: 's' });
    await store.open();
    await store.append(batch(1000));
    // One store read per page (runPages: 1): the reads are counted.
    const sink = await slowReader(store, new PageCache({ pageSize: 100, runPages: 1 }));
    await until(() => store.reads.length === 3, 'two pages read ahead');
    expect(store.reads).toEqual([0, 100, 200]);
    sink.full = false;
    sink.drain();
    await until(() => sink.seqs().length === 1000, 'catch-up');
    expect(sink.seqs()).toEqual(range(1, 1000));
  });

  it('drops a page read ahead from the wrong place and reads from the cursor instead', async () => {
    const pages = new Map<number, FramePage | undefined>();
    const asked: number[] = [];
    const page = (after: number, count: number): FramePage => ({
      firstSeq: after + 1,
      lastSeq: after + count,
      count,
      frames: Buffer.alloc(0),
    });
    const ahead = new ReadAhead(
      async (after) => {
        asked.push(after);
        return pages.get(after);
      },
      (after) => after + 10,
    );
    pages.set(0, page(0, 10));
    pages.set(10, page(10, 4));
    pages.set(14, page(14, 10));
    ahead.fill(0, 100, () => true);
    expect(asked).toEqual([0, 10]);
    expect(ahead.has(0)).toBe(true);
    expect((await ahead.take(0))?.lastSeq).toBe(10);
    // Page 10 ended early, at 14: the page read ahead from the guess (20) is dropped, and the reader at 14 reads from there.
    ahead.fill(10, 100, () => true);
    expect(asked).toEqual([0, 10, 20]);
    expect((await ahead.take(10))?.lastSeq).toBe(14);
    expect(ahead.has(14)).toBe(false);
    expect((await ahead.take(14))?.lastSeq).toBe(24);
    expect(asked).toEqual([0, 10, 20, 14]);
    // Nothing is read at or past the head, nor when the budget says no.
    ahead.fill(24, 24, () => true);
    ahead.fill(24, 100, () => false);
    expect(asked).toEqual([0, 10, 20, 14]);
  });
});
