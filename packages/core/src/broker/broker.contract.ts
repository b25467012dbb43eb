import { formatId, type GapEvent, type HelloEvent, parseQuery, type ResetEvent } from '@livelog/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewEntry } from '../entry/new-entry.js';
import type { StoreFactory, StoreUnderTest } from '../store/log-store.contract.js';
import type { LogStore } from '../store/log-store.js';
import { asLogStore } from '../store/single-stream-database.js';
import { Broker, type BrokerOptions, type SubscribeOptions } from './broker.js';
import { RecordingSink } from './recording-sink.js';

const T0 = 1_732_780_000_000;
/** A ring smaller than most test streams and pages that do not divide them: both paths, page seams. */
const OPTIONS: BrokerOptions = { ring: { maxEntries: 20 }, pageSize: 7, heartbeatMs: 60_000 };

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/** Entry n (from 1): a second apart, sources a/b/c in turn, every fifth a warning, every seventh mentions "disk". */
function entry(n: number): NewEntry {
  return {
    time: T0 + n * 1000,
    level: n % 5 === 0 ? 'warn' : 'info',
    source: ['a', 'b', 'c'][n % 3] as string,
    msg: n % 7 === 0 ? `line ${n}: Disk almost full` : `line ${n}`,
  };
}

function entries(from: number, count: number): NewEntry[] {
  return Array.from({ length: count }, (_, i) => entry(from + i));
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * The contract of the broker over a store, written once: what every reader gets, whatever the store.
 * Call it from each store's test file with the factory its `describeLogStore` uses.
 *
 * Checked: catch-up and live delivery in order, each entry once, with frame ids equal to entry ids;
 * every start position (live, `fromStart`, `lastEventId` anywhere in the stream, `tail` with and
 * without a filter, `since`); `gap` for entries retention removed; `reset` for malformed, foreign and
 * future ids; filters with id-only progress; and many readers joining at random cursors while
 * appends keep arriving. `extra` adds options to every broker of the suite (a page cache, say).
 */
export function describeBroker(name: string, factory: StoreFactory, extra?: () => BrokerOptions): void {
  describe(`Broker contract: ${name}`, () => {
    const made: StoreUnderTest[] = [];
    const brokers: Broker[] = [];

    afterEach(async () => {
      for (const broker of brokers.splice(0)) await broker.stop();
      for (const item of made.splice(0)) {
        await item.store.close().catch(() => undefined);
        await item.cleanup?.();
      }
    });

    async function setup(options: BrokerOptions = OPTIONS): Promise<{ store: LogStore; broker: Broker }> {
      const item = await factory();
      made.push(item);
      await item.store.open();
      const store = asLogStore(item.store);
      const broker = new Broker(store, { ...extra?.(), ...options });
      brokers.push(broker);
      await broker.start();
      return { store, broker };
    }

    async function reader(broker: Broker, options: SubscribeOptions = {}): Promise<RecordingSink> {
      const sink = new RecordingSink();
      await broker.subscribe(sink, options);
      return sink;
    }

    it('delivers catch-up and live entries through one path, in order and each once, with frame ids equal to entry ids', async () => {
      const { store, broker } = await setup();
      await store.append(entries(1, 100));
      const sink = await reader(broker, { start: { fromStart: true } });
      for (let n = 101; n <= 200; n += 5) await store.append(entries(n, 5));
      await until(() => sink.seqs().length >= 200, '200 entries');
      expect(sink.seqs()).toEqual(range(1, 200));
      const frames = sink.frames();
      expect(frames.every((frame) => frame.id === frame.entry.id)).toBe(true);
      expect(frames.map((frame) => frame.id)).toEqual(range(1, 200).map((seq) => formatId(store.streamId, seq)));
      expect(frames.map((frame) => frame.entry.msg)).toEqual(range(1, 200).map((n) => entry(n).msg));
    });

    it('starts every reader where it asked, says where in hello, and continues live', async () => {
      const { store, broker } = await setup();
      await store.append(entries(1, 50));
      const id = (seq: number): string => formatId(store.streamId, seq);
      const cases: { label: string; options: SubscribeOptions; after: number[] }[] = [
        { label: 'live (no position)', options: {}, after: [] },
        { label: 'from start', options: { start: { fromStart: true } }, after: range(1, 50) },
        ...[0, 1, 13, 14, 20, 29, 30, 31, 49, 50].map((seq) => ({
          label: `after ${seq}`,
          options: { start: { lastEventId: id(seq) } },
          after: range(seq + 1, 50),
        })),
        { label: 'tail 0', options: { start: { tail: 0 } }, after: [] },
        { label: 'tail 10', options: { start: { tail: 10 } }, after: range(41, 50) },
        { label: 'tail beyond the stream', options: { start: { tail: 500 } }, after: range(1, 50) },
        { label: 'since a time', options: { start: { since: T0 + 30_500 } }, after: range(31, 50) },
        { label: 'since an exact time', options: { start: { since: T0 + 30_000 } }, after: range(30, 50) },
        { label: 'since before everything', options: { start: { since: 0 } }, after: range(1, 50) },
        { label: 'since after everything', options: { start: { since: T0 + 999_000 } }, after: [] },
        { label: 'the id wins over since and tail', options: { start: { lastEventId: id(45), since: 0, tail: 2 } }, after: range(46, 50) },
      ];
      const sinks = await Promise.all(cases.map((item) => reader(broker, item.options)));
      await store.append([entry(51)]);
      for (const [i, item] of cases.entries()) {
        const sink = sinks[i] as RecordingSink;
        await until(() => sink.seqs().includes(51), `${item.label} to reach 51`);
        expect(sink.seqs(), item.label).toEqual([...item.after, 51]);
        const hello = sink.events('hello')[0] as HelloEvent;
        expect(hello, item.label).toMatchObject({ stream: store.streamId, first: 1, last: 50 });
        const helloId = /^event: hello\n(?:(?:retry|data): .*\n)*id: (.*)$/m.exec(sink.text)?.[1];
        const start = item.after[0] === undefined ? 50 : item.after[0] - 1;
        expect(helloId, item.label).toBe(id(start));
        expect(sink.events('reset'), item.label).toEqual([]);
      }
    });

    it('takes "the last N" of a filtered tail among the matching entries', async () => {
      const { store, broker } = await setup();
      await store.append(entries(1, 60));
      const warnings = await reader(broker, { start: { tail: 3 }, filter: { level: 'warn' } });
      const sourceB = await reader(broker, { start: { tail: 4 }, filter: { sources: ['b'] } });
      await store.append([entry(61), entry(62), entry(63), entry(64), entry(65)]);
      await until(() => warnings.seqs().includes(65), 'warnings to reach 65');
      await until(() => sourceB.seqs().includes(64), 'source b to reach 64');
      expect(warnings.seqs()).toEqual([50, 55, 60, 65]);
      expect(sourceB.seqs()).toEqual([49, 52, 55, 58, 61, 64]);
    });

    it('filters by level, source and text, from the store and live, and advances the id past skipped entries', async () => {
      const { store, broker } = await setup();
      await store.append(entries(1, 40));
      const filter = { level: 'info' as const, sources: ['a', 'c'], query: parseQuery('DISK') };
      const sink = await reader(broker, { start: { fromStart: true }, filter });
      for (let n = 41; n <= 80; n += 4) await store.append(entries(n, 4));
      const expected = range(1, 80).filter((n) => ['a', 'c'].includes(entry(n).source) && n % 7 === 0);
      await until(() => sink.lastEventId() === formatId(store.streamId, 80), 'the id of 80');
      expect(sink.seqs()).toEqual(expected);
    });

    it('reports a gap for entries retention removed, once, and never re-sends them', async () => {
      const { store, broker } = await setup({ ...OPTIONS, ring: { maxEntries: 5 } });
      await store.append(entries(1, 30));
      expect(await store.prune({ maxEntries: 10 }, 100)).toBe(20);
      broker.retainedFrom((await store.bounds()).first);
      const id = (seq: number): string => formatId(store.streamId, seq);
      const behind = await reader(broker, { start: { lastEventId: id(4) } });
      const atEdge = await reader(broker, { start: { lastEventId: id(20) } });
      const fromStart = await reader(broker, { start: { fromStart: true } });
      await store.append([entry(31)]);
      for (const sink of [behind, atEdge, fromStart]) await until(() => sink.seqs().includes(31), 'entry 31');
      const gap: GapEvent = { after: id(4), resumeAt: id(20), missed: 16, fromSeq: 5, toSeq: 20, reason: 'retention' };
      expect(behind.events('gap')).toEqual([gap]);
      expect(behind.seqs()).toEqual(range(21, 31));
      for (const sink of [atEdge, fromStart]) {
        expect(sink.events('gap')).toEqual([]);
        expect(sink.seqs()).toEqual(range(21, 31));
      }
      expect(broker.stats).toMatchObject({ gaps: 1, missed: 16 });
    });

    it('answers an id it cannot use with reset, then starts as the other parameters say', async () => {
      const { store, broker } = await setup();
      await store.append(entries(1, 10));
      const other = store.streamId === 'another' ? 'yetanother' : 'another';
      const cases: { id: string; reason: ResetEvent['reason'] }[] = [
        { id: 'not a cursor', reason: 'malformed' },
        { id: '1732780000.123', reason: 'malformed' },
        { id: formatId(other, 3), reason: 'foreign' },
        { id: formatId(store.streamId, 11), reason: 'future' },
      ];
      const withTail = await Promise.all(cases.map((item) => reader(broker, { start: { lastEventId: item.id, tail: 2 } })));
      // A foreign id with no start asked for replays this stream from its oldest: it is all new to the reader.
      const replayed = await reader(broker, { start: { lastEventId: formatId(other, 3) } });
      const liveOnly = await reader(broker, { start: { lastEventId: formatId(other, 3), fromEnd: true } });
      // Regression: a future id (the store lost its tail and gave its seqs out again) started live, so
      // what the store received since it came back was lost to the reader, with no count.
      const pastHead = await reader(broker, { start: { lastEventId: formatId(store.streamId, 11) } });
      await store.append([entry(11)]);
      for (const [i, item] of cases.entries()) {
        const sink = withTail[i] as RecordingSink;
        await until(() => sink.seqs().includes(11), `${item.reason} to reach 11`);
        expect(sink.events('reset')).toEqual([{ reason: item.reason, stream: store.streamId }]);
        expect(sink.seqs()).toEqual([9, 10, 11]);
      }
      await until(() => [liveOnly, replayed, pastHead].every((sink) => sink.seqs().includes(11)), 'the live and the replaying readers');
      expect(liveOnly.seqs()).toEqual([11]);
      expect(replayed.seqs()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect(pastHead.events('reset')).toEqual([{ reason: 'future', stream: store.streamId }]);
      expect(pastHead.seqs()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect(broker.stats.resets).toEqual({ malformed: 2, foreign: 3, future: 2, deleted: 0 });
    });

    // Regression: the replay-then-register race. Readers that connect while appends keep coming must
    // each get exactly (cursor, end] and nothing else: nothing missing, nothing twice, in order.
    it('has no seam between replay and live for many readers joining at random cursors while appends arrive', async () => {
      const { store, broker } = await setup();
      const joined: { start: number; sink: RecordingSink }[] = [];
      let acknowledged = 0;
      const batches = 120;
      const writer = (async () => {
        for (let i = 0; i < batches; i++) {
          const size = 1 + (i % 7);
          const result = await store.append(entries(acknowledged + 1, size));
          acknowledged = result.lastSeq;
          if (i % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      for (let i = 0; i < 30; i++) {
        const start = Math.floor(Math.random() * (acknowledged + 1));
        const sink = await reader(broker, { start: { lastEventId: formatId(store.streamId, start) } });
        joined.push({ start, sink });
        await new Promise((resolve) => setImmediate(resolve));
      }
      await writer;
      const end = acknowledged;
      for (const { start, sink } of joined) {
        await until(() => sink.seqs().length >= end - start, `reader from ${start}`);
        expect(sink.seqs()).toEqual(range(start + 1, end));
        expect(sink.events('reset')).toEqual([]);
      }
    });

    it('delivers every entry, then end (id: the last entry), then close ended, to live, resuming and late readers', async () => {
      const { store, broker } = await setup();
      await store.append(entries(1, 30));
      const live = await reader(broker);
      const fromStart = await reader(broker, { start: { fromStart: true } });
      const filtered = await reader(broker, { start: { fromStart: true }, filter: { query: parseQuery('no such text') } });
      await store.append(entries(31, 10));
      const ended = await store.end({ exitCode: 3, reason: 'tests failed' });
      expect(ended).toMatchObject({ exitCode: 3, reason: 'tests failed' });
      expect(typeof ended.time).toBe('number');
      const lastId = formatId(store.streamId, 40);
      const expected = { lastId, ...ended };
      for (const [sink, seqs] of [
        [live, range(31, 40)],
        [fromStart, range(1, 40)],
        [filtered, []],
      ] as const) {
        await until(() => sink.closed, 'the reader to be closed after the end');
        expect(sink.seqs()).toEqual(seqs);
        expect(sink.events('end')).toEqual([expected]);
        expect(sink.events('close')).toEqual([{ reason: 'ended', retryable: false }]);
        // end comes after every entry, and its id is the last entry's: a resume from it replays nothing.
        expect(sink.text.indexOf('event: end')).toBeGreaterThan(sink.text.lastIndexOf('data: {"id"'));
        expect(sink.lastEventId()).toBe(lastId);
      }
      // Readers that come after the end replay what they lack, get end, and are closed: never left hanging.
      const late = await reader(broker, { start: { lastEventId: formatId(store.streamId, 35) } });
      const caughtUp = await reader(broker, { start: { lastEventId: lastId } });
      const liveAfter = await reader(broker);
      for (const [sink, seqs] of [
        [late, range(36, 40)],
        [caughtUp, []],
        [liveAfter, []],
      ] as const) {
        await until(() => sink.closed, 'a late reader to be closed');
        expect(sink.seqs()).toEqual(seqs);
        expect((sink.events('hello')[0] as HelloEvent).ended).toEqual(ended);
        expect(sink.events('end')).toEqual([expected]);
      }
      await expect(store.append(entries(41, 1))).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_ENDED' });
      await expect(store.end()).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_ENDED' });
      expect((await store.bounds()).last).toBe(40);
    });

    it('ends an empty stream with lastId <identity>:0', async () => {
      const { store, broker } = await setup();
      const sink = await reader(broker);
      await store.end();
      await until(() => sink.closed, 'the reader to be closed');
      expect(sink.events('end')).toEqual([{ lastId: formatId(store.streamId, 0), time: expect.any(Number) }]);
    });

    it('tells every reader of a deleted stream reset deleted, then close deleted, and takes no more readers', async () => {
      const { store, broker } = await setup();
      await store.append(entries(1, 5));
      const sinks = [await reader(broker), await reader(broker, { start: { fromStart: true } })];
      await until(() => (sinks[1] as RecordingSink).seqs().length === 5, 'catch-up');
      await broker.deleted();
      for (const sink of sinks) {
        expect(sink.closed).toBe(true);
        expect(sink.events('reset')).toEqual([{ reason: 'deleted', stream: store.streamId }]);
        expect(sink.events('close')).toEqual([{ reason: 'deleted', retryable: false }]);
      }
      expect(broker.stats.resets.deleted).toBe(2);
      await expect(reader(broker)).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_NOT_FOUND' });
    });
  });
}
