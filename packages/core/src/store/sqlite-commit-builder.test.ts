import { describe, expect, it } from 'vitest';
import { encodeEntry } from '../entry/encode-entry.js';
import type { NewEntry } from '../entry/new-entry.js';
import { CommitBuilder } from './sqlite-commit-builder.js';

const entry = (msg: string, extra: Partial<NewEntry> = {}): NewEntry => ({ time: 100, level: 'info', source: 'a', msg, ...extra });

describe('CommitBuilder', () => {
  it('gives the batches of a group contiguous seqs after the committed ones, and one request for all', () => {
    const commit = new CommitBuilder('s1', 41, 150);
    expect(commit.empty).toBe(true);
    expect(commit.add([entry('x'), entry('y', { source: 'b', time: 200, level: 'error' })])).toEqual({ firstSeq: 42, lastSeq: 43 });
    expect(commit.add([entry('z', { time: 90 })])).toEqual({ firstSeq: 44, lastSeq: 44 });
    const request = commit.request([['k', null, 42, 43, 7]]);
    expect(request).toEqual({
      type: 'commit',
      seqs: [42, 43, 44],
      times: [100, 200, 90],
      levels: [30, 50, 30],
      sources: ['a', 'b', 'a'],
      jsons: [
        encodeEntry('s1', 42, entry('x')),
        encodeEntry('s1', 43, entry('y', { source: 'b', time: 200, level: 'error' })),
        encodeEntry('s1', 44, entry('z', { time: 90 })),
      ],
      sourceStats: [
        ['a', 2, 44, 90],
        ['b', 1, 43, 200],
      ],
      // The running maximum of time, which a later entry with an earlier time does not lower.
      mark: [44, 200],
      keys: [['k', null, 42, 43, 7]],
      lastSeq: 44,
    });
    expect(commit.stored().map((stored) => stored.seq)).toEqual([42, 43, 44]);
    expect(commit.bytes).toBe(request.jsons.reduce((sum, json) => sum + json.length, 0));
  });

  it('takes no seq for a batch that cannot be encoded', () => {
    const commit = new CommitBuilder('s1', 0, 0);
    expect(() => commit.add([entry('ok'), entry('bad', { fields: { n: 1n } })])).toThrow(TypeError);
    expect(commit.empty).toBe(true);
    expect(commit.add([entry('next')])).toEqual({ firstSeq: 1, lastSeq: 1 });
  });
});
