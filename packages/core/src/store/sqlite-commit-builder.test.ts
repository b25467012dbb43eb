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
      streamKeys: [0, 0, 7, 0],
      seqs: [42, 43, 1, 44],
      times: [100, 200, 100, 90],
      levels: [30, 50, 30, 30],
      sources: ['a', 'b', 'a', 'a'],
      jsons: [
        encodeEntry('s1', 42, entry('x')),
        encodeEntry('s1', 43, entry('y', { source: 'b', time: 200, level: 'error' })),
        encodeEntry('s2', 1, entry('other')),
        encodeEntry('s1', 44, entry('z', { time: 90 })),
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
        [0, 44, 200, 3, request.jsons[0].length + request.jsons[1].length + request.jsons[3].length, 1, null],
        [7, 1, 100, 1, request.jsons[2].length, 0, '{"time":9,"exitCode":3}'],
      ],
      nextKey: 8,
      policy: POLICY,
    });
    expect(commit.sections.get(one)?.stored.map((stored) => stored.seq)).toEqual([42, 43, 44]);
  });

  it('takes no seq for a batch that cannot be encoded', () => {
    const one = { key: 0, identity: 's1', lastSeq: 0, maxTime: 0 };
    const commit = new CommitBuilder();
    expect(() => commit.add(one, [entry('ok'), entry('bad', { fields: { n: 1n } })])).toThrow(TypeError);
    expect(commit.empty).toBe(true);
    expect(commit.add(one, [entry('next')])).toEqual({ firstSeq: 1, lastSeq: 1 });
  });
});
