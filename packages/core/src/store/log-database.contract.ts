import { formatId, type LogEntry } from '@livelog/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveStart } from '../broker/start-position.js';
import type { NewEntry } from '../entry/new-entry.js';
import type { IdempotencyLimits } from './idempotency.js';
import type { LogDatabase, StreamChange } from './log-database.js';
import type { LogStore } from './log-store.js';

/** A database under test, and how to open it again on the same data (persistent databases only). */
export interface DatabaseUnderTest {
  database: LogDatabase;
  /** Opens a second instance on the same data, after the first was closed. */
  reopen?: () => Promise<LogDatabase>;
  cleanup?: () => Promise<void>;
  /**
   * Gives these (existing) streams one activity, above every other stream's, as one commit or one
   * batch writing them all does. Required with the `ties` trait.
   */
  tie?: (names: readonly string[]) => Promise<void>;
}

/** Makes a fresh, empty database (not opened) with these idempotency limits. */
export type DatabaseFactory = (options: { idempotency?: IdempotencyLimits }) => Promise<DatabaseUnderTest>;

export interface DatabaseTraits {
  /** Data outlives the database object: the factory's `reopen` opens it again. */
  persistent?: boolean;
  /** Streams can share an activity (written by one commit or one batch); the factory gives `tie`. */
  ties?: boolean;
}

const T0 = 1_732_780_000_000;
const line = (msg: string, extra: Partial<NewEntry> = {}): NewEntry => ({ time: T0, level: 'info', source: 'api', msg, ...extra });
const lines = (count: number, prefix: string): NewEntry[] => Array.from({ length: count }, (_, i) => line(`${prefix} ${i + 1}`));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function all(store: LogStore): Promise<LogEntry[]> {
  return (await store.readAfter(0, 10_000)).map((row) => JSON.parse(row.json) as LogEntry);
}

/**
 * The contract of every LogDatabase (see its TSDoc), written once: isolation of streams, per-stream
 * seq and identity, foreign ids, creation on first write, end, delete, list paging and filters,
 * retention per stream, pruned and paged sources, bounded idempotency keys.
 */
export function describeLogDatabase(name: string, factory: DatabaseFactory, traits: DatabaseTraits = {}): void {
  describe(`LogDatabase contract: ${name}`, () => {
    const open: DatabaseUnderTest[] = [];
    const make = async (options: { idempotency?: IdempotencyLimits } = {}): Promise<DatabaseUnderTest> => {
      const made = await factory(options);
      await made.database.open();
      open.push(made);
      return made;
    };

    afterEach(async () => {
      for (const made of open.splice(0)) {
        await made.database.close().catch(() => undefined);
        await made.cleanup?.();
      }
    });

    it('keeps streams apart: own seq from 1, own identity, no entry crossing, interleaved writes', async () => {
      const { database } = await make();
      const names = ['a', 'b', 'ci-build.42_x'];
      const stores = await Promise.all(names.map((n) => database.openStream(n)));
      expect(new Set(stores.map((store) => store.streamId)).size).toBe(3);
      // Concurrent batches to every stream in the same turns: they share group commits where the store has them.
      for (let round = 0; round < 5; round++) {
        await Promise.all(stores.map((store, i) => store.append(lines(i + 1, `${names[i]} r${round}`))));
      }
      for (const [i, store] of stores.entries()) {
        const got = await all(store);
        const count = 5 * (i + 1);
        expect(got.map((entry) => entry.seq)).toEqual(Array.from({ length: count }, (_, n) => n + 1));
        expect(got.map((entry) => entry.id)).toEqual(got.map((entry) => formatId(store.streamId, entry.seq)));
        expect(got.every((entry) => entry.msg.startsWith(`${names[i]} `))).toBe(true);
        expect(await store.bounds()).toEqual({ first: 1, last: count });
        expect(store.name).toBe(names[i]);
      }
      expect(await database.openStream('a')).toBe(stores[0]);
    });

    it('answers an id of another stream with reset foreign', async () => {
      const { database } = await make();
      const a = await database.openStream('a');
      const b = await database.openStream('b');
      await a.append(lines(3, 'a'));
      await b.append(lines(3, 'b'));
      // With no start asked for, all of b is new to a reader of a: it starts before b's oldest entry.
      expect(await resolveStart(b, { lastEventId: formatId(a.streamId, 2) })).toMatchObject({ reset: 'foreign', seq: 0 });
      expect(await resolveStart(b, { lastEventId: formatId(a.streamId, 2), fromEnd: true })).toMatchObject({ reset: 'foreign', seq: 3 });
    });

    it('creates a stream on its first write only, and refuses bad names', async () => {
      const { database } = await make();
      const changes: StreamChange[] = [];
      database.onStreamChange((change) => changes.push(change));
      const store = await database.openStream('job-1', { labels: { ci: 'yes' } });
      expect(await database.stream('job-1')).toBeUndefined();
      expect((await database.list({ limit: 10, prefix: 'job' })).streams).toEqual([]);
      await expect(store.append([line('bad', { fields: { n: 1n as unknown as number } })])).rejects.toThrow();
      expect(await database.stream('job-1')).toBeUndefined();
      await store.append(lines(1, 'x'));
      expect(await database.stream('job-1')).toBe(store);
      expect(changes).toEqual([{ type: 'created', name: 'job-1' }]);
      const info = await store.info();
      expect(info).toMatchObject({
        name: 'job-1',
        identity: store.streamId,
        labels: { ci: 'yes' },
        state: 'open',
        first: 1,
        last: 1,
        entries: 1,
      });
      expect(info.bytes).toBeGreaterThan(0);
      expect(info.lastTime).toBeGreaterThan(0);
      for (const bad of ['', 'A', '-x', 'a/b', 'x'.repeat(129)]) {
        await expect(database.openStream(bad)).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_BAD_NAME' });
      }
      const set = await database.setStream('explicit', { labels: { env: 'prod' } });
      expect(set).toMatchObject({ name: 'explicit', labels: { env: 'prod' }, last: 0, entries: 0 });
      expect(await database.stream('explicit')).toBeDefined();
    });

    it('ends a stream durably and atomically with appends; writes after the end are refused', async () => {
      const made = await make();
      const store = await made.database.openStream('job');
      const changes: StreamChange[] = [];
      made.database.onStreamChange((change) => changes.push(change));
      const results = await Promise.allSettled([
        store.append(lines(2, 'before')),
        store.append(lines(1, 'before')),
        store.end({ exitCode: 3, reason: 'failed' }),
        store.append(lines(1, 'after')),
      ]);
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
      expect((results[3] as PromiseRejectedResult).reason).toMatchObject({ code: 'LIVELOG_ERR_STREAM_ENDED' });
      expect(store.ended()).toMatchObject({ exitCode: 3, reason: 'failed' });
      await expect(store.end()).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_ENDED' });
      expect((await all(store)).map((entry) => entry.msg)).toEqual(['before 1', 'before 2', 'before 1']);
      expect(await store.info()).toMatchObject({ state: 'ended', end: { exitCode: 3, reason: 'failed' }, last: 3 });
      expect(changes).toContainEqual({ type: 'ended', name: 'job' });
      // Ending a stream never written creates it, ended.
      const empty = await made.database.openStream('empty');
      await empty.end();
      expect(await made.database.stream('empty')).toBeDefined();
      expect((await empty.info()).state).toBe('ended');
      if (traits.persistent && made.reopen) {
        const identity = store.streamId;
        await made.database.close();
        const again = await made.reopen();
        open.push({ database: again });
        await again.open();
        const reopened = (await again.stream('job')) as LogStore;
        expect(reopened.streamId).toBe(identity);
        expect(reopened.ended()).toMatchObject({ exitCode: 3, reason: 'failed' });
        await expect(reopened.append(lines(1, 'late'))).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_ENDED' });
        expect((await reopened.bounds()).last).toBe(3);
      }
    });

    it('deletes a stream: its entries go, its handle rejects, others stay, the name can start again', async () => {
      const { database } = await make();
      const doomed = await database.openStream('doomed');
      const kept = await database.openStream('kept');
      await doomed.append(lines(50, 'd'));
      await kept.append(lines(5, 'k'));
      const changes: StreamChange[] = [];
      database.onStreamChange((change) => changes.push(change));
      const identity = doomed.streamId;
      expect(await database.delete('doomed')).toBe(true);
      expect(changes).toEqual([{ type: 'deleted', name: 'doomed' }]);
      expect(await database.stream('doomed')).toBeUndefined();
      expect(await database.delete('doomed')).toBe(false);
      expect(await database.delete('never')).toBe(false);
      for (const call of [() => doomed.append(lines(1, 'x')), () => doomed.readAfter(0, 10), () => doomed.bounds(), () => doomed.end()]) {
        await expect(call()).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_NOT_FOUND' });
      }
      expect((await all(kept)).map((entry) => entry.msg)).toEqual(lines(5, 'k').map((entry) => entry.msg));
      const again = await database.openStream('doomed');
      expect(again).not.toBe(doomed);
      expect(again.streamId).not.toBe(identity);
      await again.append(lines(2, 'new'));
      expect((await all(again)).map((entry) => [entry.seq, entry.msg])).toEqual([
        [1, 'new 1'],
        [2, 'new 2'],
      ]);
      expect((await database.list({ limit: 10 })).streams.map((info) => info.name)).toEqual(['doomed', 'kept']);
    });

    it('lists streams by name or recent activity, in keyset pages, by prefix and by labels', async () => {
      const { database } = await make();
      const names = ['web-2', 'api-1', 'web-1', 'api-2', 'api-3', 'batch'];
      for (const [i, n] of names.entries()) {
        await (await database.openStream(n, { labels: { team: n.split('-')[0] as string, n: String(i) } })).append(lines(i + 1, n));
        await sleep(3);
      }
      const pages: string[][] = [];
      let after: string | undefined;
      do {
        const page = await database.list({ limit: 2, ...(after ? { after } : {}) });
        pages.push(page.streams.map((info) => info.name));
        after = page.next;
      } while (after !== undefined);
      expect(pages).toEqual([
        ['api-1', 'api-2'],
        ['api-3', 'batch'],
        ['web-1', 'web-2'],
      ]);
      const recent = await database.list({ limit: 4, order: 'recent' });
      expect(recent.streams.map((info) => info.name)).toEqual(['batch', 'api-3', 'api-2', 'web-1']);
      const rest = await database.list({ limit: 4, order: 'recent', after: recent.next as string });
      expect(rest.streams.map((info) => info.name)).toEqual(['api-1', 'web-2']);
      expect(rest.next).toBeUndefined();
      expect((await database.list({ limit: 10, prefix: 'api-' })).streams.map((info) => info.name)).toEqual(['api-1', 'api-2', 'api-3']);
      expect((await database.list({ limit: 10, labels: { team: 'web' } })).streams.map((info) => info.name)).toEqual(['web-1', 'web-2']);
      expect((await database.list({ limit: 10, labels: { team: 'web', n: '2' } })).streams.map((info) => info.name)).toEqual(['web-1']);
      const info = (await database.list({ limit: 1, prefix: 'api-2' })).streams[0];
      expect(info).toMatchObject({ name: 'api-2', labels: { team: 'api', n: '3' }, first: 1, last: 4, entries: 4, state: 'open' });
      await expect(database.list({ limit: 2, after: 'not a cursor!' })).rejects.toMatchObject({ code: 'LIVELOG_ERR_QUERY_BAD_PARAM' });
    });

    // Regression: `order=recent` paged by (activity, name) alone, so a stream not listed yet that was
    // written between two pages moved ahead of the cursor and was never listed.
    it('pages by recent activity without skipping a stream written between pages; one listed before comes again, once', async () => {
      const { database } = await make();
      const names = ['s-a', 's-b', 's-c', 's-d', 's-e', 's-f'];
      const stores = new Map<string, LogStore>();
      for (const n of names) {
        const store = await database.openStream(n);
        await store.append(lines(1, n));
        stores.set(n, store);
        await sleep(3);
      }
      const first = await database.list({ limit: 2, order: 'recent' });
      const listed = first.streams.map((info) => info.name);
      expect(listed).toEqual(['s-f', 's-e']);
      // s-a, not listed yet, and s-f, listed, are written: both move to the front, ahead of the cursor.
      await (stores.get('s-a') as LogStore).append(lines(1, 'again'));
      await (stores.get('s-f') as LogStore).append(lines(1, 'again'));
      // A Redis instance sends its activity within a second: wait until the list shows the moves.
      for (let tries = 0; ; tries++) {
        const top = (await database.list({ limit: 2, order: 'recent' })).streams.map((info) => info.name);
        if (top.includes('s-a') && top.includes('s-f')) break;
        if (tries > 250) throw new Error(`the writes never moved s-a and s-f to the front: ${top.join(', ')}`);
        await sleep(20);
      }
      let after = first.next;
      while (after !== undefined) {
        const page = await database.list({ limit: 2, order: 'recent', after });
        listed.push(...page.streams.map((info) => info.name));
        after = page.next;
      }
      expect(listed).toEqual(['s-f', 's-e', 's-d', 's-c', 's-b', 's-a', 's-f']);
    });

    // Regression: equal activities came in name order from SQLite and memory, in reverse name order from Redis.
    if (traits.ties) {
      it('lists streams of equal activity in name order by recent activity, in one page and across pages', async () => {
        const made = await make();
        const { database } = made;
        for (const n of ['older', 't-c', 't-a', 't-d', 't-b']) await database.setStream(n, {});
        await made.tie?.(['t-c', 't-a', 't-d', 't-b']);
        const whole = await database.list({ limit: 10, order: 'recent' });
        expect(whole.streams.map((info) => info.name)).toEqual(['t-a', 't-b', 't-c', 't-d', 'older']);
        const pages: string[][] = [];
        let after: string | undefined;
        do {
          const page = await database.list({ limit: 2, order: 'recent', ...(after ? { after } : {}) });
          pages.push(page.streams.map((info) => info.name));
          after = page.next;
        } while (after !== undefined);
        expect(pages).toEqual([['t-a', 't-b'], ['t-c', 't-d'], ['older']]);
      });
    }

    it('applies the default retention to every stream and a stream’s own retention over it', async () => {
      const { database } = await make();
      const own = await database.openStream('own');
      const plain = await database.openStream('plain');
      const larger = await database.openStream('larger');
      await database.setStream('own', { retention: { maxEntries: 2 } });
      await database.setStream('larger', { retention: { maxEntries: 8 } });
      for (const store of [own, plain, larger]) await store.append(lines(10, store.name));
      while ((await database.prune({}, 3)) > 0);
      expect(await own.bounds()).toEqual({ first: 9, last: 10 });
      expect(await plain.bounds()).toEqual({ first: 1, last: 10 });
      while ((await database.prune({ maxEntries: 5 }, 100)) > 0);
      expect(await own.bounds()).toEqual({ first: 9, last: 10 });
      expect(await plain.bounds()).toEqual({ first: 6, last: 10 });
      expect(await larger.bounds()).toEqual({ first: 3, last: 10 });
      expect(await own.info()).toMatchObject({ entries: 2, retention: { maxEntries: 2 } });
      await database.setStream('own', { retention: null });
      expect((await own.info()).retention).toBeUndefined();
    });

    it('prunes sources with their entries and pages them by name', async () => {
      const { database } = await make();
      const store = await database.openStream('s');
      for (const source of ['e', 'a', 'd', 'b', 'c']) await store.append([line(source, { source })]);
      expect((await store.sources({ limit: 2 })).map((source) => source.name)).toEqual(['a', 'b']);
      expect((await store.sources({ after: 'b', limit: 2 })).map((source) => source.name)).toEqual(['c', 'd']);
      expect((await store.sources({ after: 'd' })).map((source) => source.name)).toEqual(['e']);
      await database.setStream('s', { retention: { maxEntries: 2 } });
      while ((await database.prune({}, 100)) > 0);
      // Left: the entries of b and c (seqs 4 and 5).
      expect((await store.sources()).map((source) => source.name)).toEqual(['b', 'c']);
    });

    it('bounds idempotency keys by count and by age, even with unlimited retention', async () => {
      const { database } = await make({ idempotency: { maxKeys: 3, ttlMs: 60 * 60_000 } });
      const store = await database.openStream('keys');
      for (let n = 1; n <= 5; n++) await store.append([line(`k${n}`)], { idempotencyKey: `k${n}`, bodyDigest: `d${n}` });
      while ((await database.prune({}, 100)) > 0);
      await database.prune({}, 100);
      expect(await store.append([line('k5')], { idempotencyKey: 'k5', bodyDigest: 'd5' })).toEqual({
        firstSeq: 5,
        lastSeq: 5,
        replayed: true,
      });
      expect(await store.append([line('k3')], { idempotencyKey: 'k3', bodyDigest: 'd3' })).toMatchObject({ replayed: true });
      // The two oldest are forgotten: a repeat is stored again.
      expect(await store.append([line('k1')], { idempotencyKey: 'k1', bodyDigest: 'd1' })).toEqual({
        firstSeq: 6,
        lastSeq: 6,
        replayed: false,
      });
      const short = await make({ idempotency: { ttlMs: 50 } });
      const aging = await short.database.openStream('aging');
      await aging.append([line('x')], { idempotencyKey: 'x' });
      expect(await aging.append([line('x')], { idempotencyKey: 'x' })).toMatchObject({ replayed: true });
      await sleep(120);
      await short.database.prune({}, 100);
      expect(await aging.append([line('x')], { idempotencyKey: 'x' })).toMatchObject({ replayed: false, firstSeq: 2 });
    });
  });
}
