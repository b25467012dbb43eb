import { describe, expect, it } from 'vitest';
import { encodeEntry } from '../entry/encode-entry.js';
import type { NewEntry } from '../entry/new-entry.js';
import { CommitBuilder } from './sqlite-commit-builder.js';

const entry = (msg: string, extra: Partial<NewEntry> = {}): NewEntry => ({ time: 100, level: 'info', source: 'a', msg, ...extra });
const POLICY = { maxEntries: null, maxBytes: null, maxAgeMs: null, maxKeys: 10 };

describe('CommitBuilder', () => {
  it('gives each stream contiguous seqs after its committed ones, and one request for all streams', () => {
    const one = { key: 0, identity: 's1', lastSeq: 41, maxTime: 150 };
    const two = { key: 7, identity: 's2', lastSeq: 0, maxTime: 0 };
    const commit = new CommitBuilder();
    expect(commit.empty).toBe(true);
    expect(commit.add(one, [entry('x'), entry('y', { source: 'b', time: 200, level: 'error' })])).toEqual({ firstSeq: 42, lastSeq: 43 });
    expect(commit.add(two, [entry('other')])).toEqual({ firstSeq: 1, lastSeq: 1 });
    expect(commit.add(one, [entry('z', { time: 90 })])).toEqual({ firstSeq: 44, lastSeq: 44 });
    commit.key(one, ['k', null, 42, 43, 7]);
    commit.create(two, 'build-1', { ci: 'yes' }, 5);
    commit.end(two, { time: 9, exitCode: 3 });
    const request = commit.request(1000, 8, POLICY);
    expect(request).toEqual({
      type: 'commit',
      // Stream by stream, by key (see the next test), each in seq order.
      streamKeys: [0, 0, 0, 7],
      seqs: [42, 43, 44, 1],
      times: [100, 200, 90, 100],
      levels: [30, 50, 30, 30],
      sources: ['a', 'b', 'a', 'a'],
      jsons: [
        encodeEntry('s1', 42, entry('x')),
        encodeEntry('s1', 43, entry('y', { source: 'b', time: 200, level: 'error' })),
        encodeEntry('s1', 44, entry('z', { time: 90 })),
        encodeEntry('s2', 1, entry('other')),
      ],
      received: 1000,
      sourceStats: [
        [0, 'a', 2, 44, 90],
        [0, 'b', 1, 43, 200],
        [7, 'a', 1, 1, 100],
      ],
      // The running maximum of time, which a later entry with an earlier time does not lower.
      marks: [
        [0, 44, 200],
        [7, 1, 100],
      ],
      // Histogram summaries: per stream, slice width, slice and level, in the order first seen.
      slices: [
        [0, 1000, 0, 30, 2],
        [0, 60_000, 0, 30, 2],
        [0, 1000, 0, 50, 1],
        [0, 60_000, 0, 50, 1],
        [7, 1000, 0, 30, 1],
        [7, 60_000, 0, 30, 1],
      ],
      keys: [[0, 'k', null, 42, 43, 7]],
      creates: [[7, 'build-1', 's2', '{"ci":"yes"}', 5]],
      streams: [
        [0, 44, 200, 3, request.jsons[0].length + request.jsons[1].length + request.jsons[2].length, 1, null],
        [7, 1, 100, 1, request.jsons[3].length, 0, '{"time":9,"exitCode":3}'],
      ],
      nextKey: 8,
      policy: POLICY,
    });
    expect(commit.sections.get(one)?.stored.map((stored) => stored.seq)).toEqual([42, 43, 44]);
  });

  // Rowids are (key << 43) | seq: in key order a group's rowids only grow, and FTS5 flushes its
  // pending terms to a new segment at every rowid lower than the one before it in a transaction.
  it('lists the streams of a group by ascending key, whatever order their batches came in', () => {
    const streams = [9, 3, 5].map((key) => ({ key, identity: `s${key}`, lastSeq: 10 * key, maxTime: 0 }));
    const [nine, three, five] = streams as [(typeof streams)[0], (typeof streams)[0], (typeof streams)[0]];
    const commit = new CommitBuilder();
    commit.add(nine, [entry('9a'), entry('9b', { source: 'b' })]);
    commit.create(nine, 'nine', {}, 1);
    commit.add(three, [entry('3a')]);
    commit.create(three, 'three', {}, 1);
    commit.add(five, [entry('5a', { level: 'warn' })]);
    commit.add(nine, [entry('9c')]);
    const request = commit.request(1000, 10, POLICY);
    expect(request.streamKeys).toEqual([3, 5, 9, 9, 9]);
    expect(request.seqs).toEqual([31, 51, 91, 92, 93]);
    expect(request.levels).toEqual([30, 40, 30, 30, 30]);
    expect(request.sources).toEqual(['a', 'a', 'a', 'b', 'a']);
    expect(request.jsons.map((json) => JSON.parse(json).msg)).toEqual(['3a', '5a', '9a', '9b', '9c']);
    expect(request.creates.map((create) => create[0])).toEqual([3, 9]);
    expect(request.marks.map((mark) => mark[0])).toEqual([3, 5, 9]);
    expect(request.streams.map((stream) => stream[0])).toEqual([3, 5, 9]);
    expect(request.sourceStats.map((stats) => stats.slice(0, 2))).toEqual([
      [3, 'a'],
      [5, 'a'],
      [9, 'a'],
      [9, 'b'],
    ]);
    expect(request.slices.map((slice) => slice[0])).toEqual([3, 3, 5, 5, 9, 9]);
  });

  it('takes no seq for a batch that cannot be encoded', () => {
    const one = { key: 0, identity: 's1', lastSeq: 0, maxTime: 0 };
    const commit = new CommitBuilder();
    expect(() => commit.add(one, [entry('ok'), entry('bad', { fields: { n: 1n } })])).toThrow(TypeError);
    expect(commit.empty).toBe(true);
    expect(commit.add(one, [entry('next')])).toEqual({ firstSeq: 1, lastSeq: 1 });
  });
});
