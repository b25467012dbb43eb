import { formatId, type LogEntry, parseQuery } from '@livelog/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeEntry } from '../entry/encode-entry.js';
import type { NewEntry } from '../entry/new-entry.js';
import type { BasicLogStore, LogStore, StoredEntry } from './log-store.js';
import { isLogStore } from './single-stream-database.js';

/** A store under test, and how to open it again on the same data (persistent stores only). */
export interface StoreUnderTest {
  store: BasicLogStore;
  /** Closes nothing; opens a second store instance on the same data, after the first was closed. */
  reopen?: () => Promise<BasicLogStore>;
  /** Removes the data once the test is done. */
  cleanup?: () => Promise<void>;
}

export type StoreFactory = () => Promise<StoreUnderTest>;

/** What an implementation promises beyond the common contract. */
export interface StoreTraits {
  /** Data outlives the store object: the factory's `reopen` opens it again. */
  persistent?: boolean;
}

const T0 = 1_732_780_000_000;

function line(msg: string, extra: Partial<NewEntry> = {}): NewEntry {
  return { time: T0, level: 'info', source: 'api', msg, ...extra };
}

function lines(count: number, prefix = 'line'): NewEntry[] {
  return Array.from({ length: count }, (_, i) => line(`${prefix} ${i + 1}`));
}

function parse(stored: StoredEntry): LogEntry {
  return JSON.parse(stored.json) as LogEntry;
}

/**
 * The contract every LogStore implementation must pass, written once (see the TSDoc of `LogStore`).
 * Call it from each implementation's test file with a factory that makes a fresh, empty store.
 */
export function describeLogStore(name: string, factory: StoreFactory, traits: StoreTraits = {}): void {
  describe(`LogStore contract: ${name}`, () => {
    const open: StoreUnderTest[] = [];
    const make = async (): Promise<StoreUnderTest> => {
      const made = await factory();
      await made.store.open();
      open.push(made);
      return made;
    };

    afterEach(async () => {
      for (const made of open.splice(0)) {
        await made.store.close().catch(() => undefined);
        await made.cleanup?.();
      }
    });

    it('starts empty with a valid stream identity', async () => {
      const { store } = await make();
      expect(store.streamId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      expect(await store.bounds()).toEqual({ first: 1, last: 0 });
      expect(await store.readAfter(0, 10)).toEqual([]);
    });

    it('assigns seq 1, 2, 3 ... across batches and encodes ids as <stream>:<seq>', async () => {
      const { store } = await make();
      expect(await store.append(lines(3))).toEqual({ firstSeq: 1, lastSeq: 3, replayed: false });
      expect(await store.append(lines(2, 'more'))).toEqual({ firstSeq: 4, lastSeq: 5, replayed: false });
      const rows = await store.readAfter(0, 100);
      expect(rows.map((row) => row.seq)).toEqual([1, 2, 3, 4, 5]);
      const entries = rows.map(parse);
      expect(entries.map((entry) => entry.id)).toEqual([1, 2, 3, 4, 5].map((seq) => formatId(store.streamId, seq)));
      // Every store holds the same bytes for the same entry: those of the one encoder.
      const appended = [...lines(3), ...lines(2, 'more')];
      expect(rows.map((row) => row.json)).toEqual(appended.map((entry, i) => encodeEntry(store.streamId, i + 1, entry)));
      expect(entries[3]).toEqual({
        id: `${store.streamId}:4`,
        seq: 4,
        time: T0,
        level: 'info',
        source: 'api',
        msg: 'more 1',
      });
      expect(await store.bounds()).toEqual({ first: 1, last: 5 });
    });

    it('reads after a cursor in pages', async () => {
      const { store } = await make();
      await store.append(lines(25));
      expect((await store.readAfter(10, 5)).map((row) => row.seq)).toEqual([11, 12, 13, 14, 15]);
      expect((await store.readAfter(23, 5)).map((row) => row.seq)).toEqual([24, 25]);
      expect(await store.readAfter(25, 5)).toEqual([]);
      expect(await store.readAfter(1000, 5)).toEqual([]);
    });

    it('keeps concurrent appends atomic, contiguous and each batch in one piece', async () => {
      const { store } = await make();
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, batch) => store.append(Array.from({ length: 25 }, (_, i) => line(`b${batch} ${i}`)))),
      );
      const rows = await store.readAfter(0, 5000);
      expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
      results.forEach((result, batch) => {
        expect(result.lastSeq - result.firstSeq).toBe(24);
        const slice = rows.slice(result.firstSeq - 1, result.lastSeq).map((row) => parse(row).msg);
        expect(slice).toEqual(Array.from({ length: 25 }, (_, i) => `b${batch} ${i}`));
      });
    });

    it('stores nothing of a batch it cannot encode, and consumes no seq', async () => {
      const { store } = await make();
      await store.append(lines(2));
      const bad = [line('ok'), line('bad', { fields: { n: 10n as unknown } })];
      await expect(store.append(bad)).rejects.toThrow();
      expect(await store.bounds()).toEqual({ first: 1, last: 2 });
      expect(await store.append([line('after')])).toMatchObject({ firstSeq: 3, lastSeq: 3 });
    });

    it('keeps text byte-exact and keeps fields, invalidUtf8 and part marks', async () => {
      const { store } = await make();
      const msg = '\u001b[31mred\u001b[0m bare\rCR nul\u0000 tab\t emoji 🦊 ünï \u2028';
      await store.append([
        line(msg, { fields: { user: { id: 7, tags: ['a', 'b'] }, ok: true, n: null } }),
        line('bad \ufffd byte', { invalidUtf8: true }),
        line('part two', { part: { index: 2, count: 3 } }),
      ]);
      const [a, b, c] = (await store.readAfter(0, 10)).map(parse);
      expect(a?.msg).toBe(msg);
      expect(a?.fields).toEqual({ user: { id: 7, tags: ['a', 'b'] }, ok: true, n: null });
      expect(b?.invalidUtf8).toBe(true);
      expect(c?.part).toEqual({ index: 2, count: 3 });
    });

    it('answers a retried idempotency key with the first result and stores nothing again', async () => {
      const { store } = await make();
      const first = await store.append(lines(3), { idempotencyKey: 'batch-1', bodyDigest: 'd1' });
      const again = await store.append(lines(3), { idempotencyKey: 'batch-1', bodyDigest: 'd1' });
      expect(again).toEqual({ ...first, replayed: true });
      expect((await store.bounds()).last).toBe(3);
      await expect(store.append(lines(1), { idempotencyKey: 'batch-1', bodyDigest: 'other' })).rejects.toMatchObject({
        code: 'LIVELOG_ERR_INGEST_IDEMPOTENCY_MISMATCH',
      });
      expect((await store.bounds()).last).toBe(3);
    });

    it('deduplicates the same key sent concurrently', async () => {
      const { store } = await make();
      const results = await Promise.all([1, 2, 3].map(() => store.append(lines(2), { idempotencyKey: 'same', bodyDigest: 'x' })));
      expect((await store.bounds()).last).toBe(2);
      expect(results.filter((result) => !result.replayed)).toHaveLength(1);
      for (const result of results) expect(result).toMatchObject({ firstSeq: 1, lastSeq: 2 });
    });

    it('tells listeners about each appended entry once, in order, after it is durable', async () => {
      const { store } = await make();
      const seen: number[] = [];
      const stop = store.onAppend((entries) => {
        for (const entry of entries) seen.push(entry.seq);
      });
      await Promise.all([store.append(lines(3)), store.append(lines(4)), store.append(lines(5))]);
      await store.append(lines(1));
      await waitUntil(() => seen.length >= 13);
      expect(seen).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
      stop();
      await store.append(lines(1));
      expect(seen).toHaveLength(13);
    });

    it('reads filtered history pages forward and backward, always ascending', async () => {
      const { store } = await make();
      await store.append([
        line('boot', { level: 'debug', source: 'web' }),
        line('Disk almost FULL', { level: 'warn', source: 'db' }),
        line('request ok', { source: 'web' }),
        line('crash', { level: 'error', source: 'web', fields: { code: 'EFULLDISK' } }),
        line('recovered', { level: 'info', source: 'db' }),
        line('fatal thing', { level: 'fatal', source: 'db' }),
      ]);
      const seqs = (page: { entries: StoredEntry[] }) => page.entries.map((entry) => entry.seq);
      expect(seqs(await store.read({ limit: 10 }))).toEqual([1, 2, 3, 4, 5, 6]);
      const newest = await store.read({ limit: 2, direction: 'backward', before: 7 });
      expect(seqs(newest)).toEqual([5, 6]);
      expect(newest.hasMore).toBe(true);
      const older = await store.read({ limit: 10, direction: 'backward', before: 5 });
      expect(seqs(older)).toEqual([1, 2, 3, 4]);
      expect(older.hasMore).toBe(false);
      const after = await store.read({ limit: 2, after: 2 });
      expect(seqs(after)).toEqual([3, 4]);
      expect(after.hasMore).toBe(true);
      expect(seqs(await store.read({ limit: 10, filter: { level: 'warn' } }))).toEqual([2, 4, 6]);
      expect(seqs(await store.read({ limit: 10, filter: { sources: ['db'] } }))).toEqual([2, 5, 6]);
      expect(seqs(await store.read({ limit: 10, filter: { query: parseQuery('full') } }))).toEqual([2, 4]);
      expect(seqs(await store.read({ limit: 10, filter: { level: 'error', sources: ['web', 'db'], query: parseQuery('a') } }))).toEqual([
        4, 6,
      ]);
      const lastMatch = await store.read({ limit: 1, direction: 'backward', before: 7, filter: { sources: ['web'] } });
      expect(seqs(lastMatch)).toEqual([4]);
      expect(lastMatch.hasMore).toBe(true);
    });

    it('finds the start for a time', async () => {
      const { store } = await make();
      await store.append([
        line('a', { time: T0 }),
        line('b', { time: T0 + 1000 }),
        line('c', { time: T0 + 1000 }),
        line('d', { time: T0 + 5000 }),
      ]);
      expect(await store.seqBeforeTime(T0 - 1)).toBe(0);
      expect(await store.seqBeforeTime(T0 + 1000)).toBe(1);
      expect(await store.seqBeforeTime(T0 + 1001)).toBe(3);
      expect(await store.seqBeforeTime(T0 + 99_999)).toBe(4);
    });

    it('finds the start for a time when producers disagree on the clock, also after retention', async () => {
      const { store } = await make();
      for (const time of [5, 1, 9, 3, 10]) await store.append([line(`t${time}`, { time: T0 + time })]);
      expect(await store.seqBeforeTime(T0 + 4)).toBe(0);
      expect(await store.seqBeforeTime(T0 + 6)).toBe(2);
      expect(await store.seqBeforeTime(T0 + 10)).toBe(4);
      expect(await store.seqBeforeTime(T0 + 11)).toBe(5);
      await store.prune({ maxEntries: 3 }, 100);
      expect(await store.seqBeforeTime(T0 + 4)).toBe(2);
      expect(await store.seqBeforeTime(T0 + 2)).toBe(2);
    });

    it('lists sources', async () => {
      const { store } = await make();
      await store.append([
        line('1', { source: 'web' }),
        line('2', { source: 'db', time: T0 + 5 }),
        line('3', { source: 'web', time: T0 + 9 }),
      ]);
      expect(await store.sources()).toEqual([
        { name: 'db', entries: 1, lastSeq: 2, lastTime: T0 + 5 },
        { name: 'web', entries: 2, lastSeq: 3, lastTime: T0 + 9 },
      ]);
    });

    it('prunes only the oldest entries, by count, in batches, and never reuses a seq', async () => {
      const { store } = await make();
      await store.append(lines(100));
      expect(await store.prune({ maxEntries: 30 }, 50)).toBe(50);
      expect(await store.bounds()).toEqual({ first: 51, last: 100 });
      expect(await store.prune({ maxEntries: 30 }, 50)).toBe(20);
      expect(await store.prune({ maxEntries: 30 }, 50)).toBe(0);
      expect(await store.bounds()).toEqual({ first: 71, last: 100 });
      expect((await store.readAfter(0, 5)).map((row) => row.seq)).toEqual([71, 72, 73, 74, 75]);
      expect(await store.prune({ maxEntries: 0 }, 1000)).toBe(30);
      expect(await store.bounds()).toEqual({ first: 101, last: 100 });
      expect(await store.append(lines(1))).toMatchObject({ firstSeq: 101, lastSeq: 101 });
    });

    // The one documented rule for every store (docs/concepts/retention.md): age counts from receipt.
    it('prunes by age of receipt, not by producer time, and by bytes', async () => {
      const { store } = await make();
      const now = Date.now();
      await store.append([line('old', { time: now - 60_000 }), line('old', { time: now - 50_000 })]);
      // Dated a minute ago by their producer, but received just now: age keeps them.
      expect(await store.prune({ maxAgeMs: 10_000 }, 100)).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // Dated long ago too, but received now: only the two received 1.5 s ago are older than 1 s.
      await store.append([line('new', { time: now - 90_000 })]);
      expect(await store.prune({ maxAgeMs: 1000 }, 100)).toBe(2);
      expect((await store.bounds()).first).toBe(3);
      await store.append(Array.from({ length: 20 }, () => line('x'.repeat(1000), { time: now })));
      await store.prune({ maxBytes: 5000 }, 100);
      const { first, last } = await store.bounds();
      expect(last).toBe(23);
      expect(last - first + 1).toBeLessThanOrEqual(5);
      expect(last - first + 1).toBeGreaterThanOrEqual(3);
    });

    // Stream members (LogStore): skipped for a store of the single-stream kind (BasicLogStore).
    const streamIt = (title: string, body: (store: LogStore) => Promise<void>) =>
      it(title, async () => {
        const { store } = await make();
        if (!isLogStore(store)) return;
        await body(store);
      });

    streamIt('ends: what came before is kept, later appends and ends are refused, info says so', async (store) => {
      expect(store.ended()).toBeUndefined();
      await store.append(lines(2));
      const [before, end, after] = await Promise.allSettled([store.append(lines(1)), store.end({ exitCode: 0 }), store.append(lines(1))]);
      expect(before).toMatchObject({ status: 'fulfilled', value: { firstSeq: 3, lastSeq: 3 } });
      expect(end).toMatchObject({ status: 'fulfilled', value: { exitCode: 0, time: expect.any(Number) } });
      expect(after).toMatchObject({ status: 'rejected', reason: { code: 'LIVELOG_ERR_STREAM_ENDED' } });
      await expect(store.end()).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_ENDED' });
      expect(await store.bounds()).toEqual({ first: 1, last: 3 });
      expect(await store.info()).toMatchObject({
        name: store.name,
        identity: store.streamId,
        state: 'ended',
        last: 3,
        entries: 3,
        end: { exitCode: 0 },
      });
    });

    streamIt('pages sources by name', async (store) => {
      for (const source of ['c', 'a', 'b']) await store.append([line(source, { source })]);
      expect((await store.sources({ limit: 2 })).map((source) => source.name)).toEqual(['a', 'b']);
      expect((await store.sources({ after: 'b', limit: 2 })).map((source) => source.name)).toEqual(['c']);
    });

    it('refuses appends once closed', async () => {
      const { store } = await make();
      await store.close();
      await expect(store.append(lines(1))).rejects.toMatchObject({ code: 'LIVELOG_ERR_STORE_CLOSED' });
    });

    const persistentIt = traits.persistent ? it : () => undefined;
    persistentIt('keeps entries, stream identity and the sequence across a reopen', async () => {
      const made = await make();
      if (made.reopen === undefined) throw new Error('a persistent store under test needs reopen()');
      await made.store.append(lines(5));
      await made.store.prune({ maxEntries: 0 }, 100);
      await made.store.append(lines(2));
      const streamId = made.store.streamId;
      await made.store.close();
      const again = await made.reopen();
      await again.open();
      open.push({ store: again });
      expect(again.streamId).toBe(streamId);
      expect(await again.bounds()).toEqual({ first: 6, last: 7 });
      expect(await again.append(lines(1))).toMatchObject({ firstSeq: 8 });
    });
  });
}

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
