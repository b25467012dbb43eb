import { describe, expect, it } from 'vitest';
import { checkSeqs } from './check-seqs.js';

const clean = { missing: 0, duplicates: 0, reordered: 0, extra: 0 };
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('checkSeqs', () => {
  it('passes exactly 1..n once, in order, and nothing else', () => {
    expect(checkSeqs(upTo(1000), 1000)).toEqual(clean);
    expect(checkSeqs([], 0)).toEqual(clean);
  });

  it('catches a lost seq, wherever it is', () => {
    for (const lost of [1, 500, 1000]) {
      expect(
        checkSeqs(
          upTo(1000).filter((seq) => seq !== lost),
          1000,
        ),
      ).toEqual({ ...clean, missing: 1 });
    }
    // A reader that stopped early lost the tail.
    expect(checkSeqs(upTo(990), 1000)).toEqual({ ...clean, missing: 10 });
  });

  it('catches a duplicated seq, even when the count comes out right', () => {
    const seqs = upTo(1000);
    seqs.splice(500, 1, 500); // 501 lost, 500 twice: a total-only check would pass this.
    expect(seqs).toHaveLength(1000);
    expect(checkSeqs(seqs, 1000)).toEqual({ ...clean, duplicates: 1, missing: 1 });
    expect(checkSeqs([...upTo(10), 10, 10], 10)).toEqual({ ...clean, duplicates: 2 });
  });

  it('catches reordering with every seq present once', () => {
    const seqs = upTo(100);
    [seqs[40], seqs[41]] = [seqs[41] as number, seqs[40] as number];
    expect(checkSeqs(seqs, 100)).toEqual({ ...clean, reordered: 1 });
    expect(checkSeqs([...upTo(100)].reverse(), 100)).toEqual({ ...clean, reordered: 99 });
  });

  it('catches seqs outside the expected range', () => {
    expect(checkSeqs([...upTo(10), 11, 12], 10)).toEqual({ ...clean, extra: 2 });
    expect(checkSeqs([0, ...upTo(10)], 10)).toEqual({ ...clean, extra: 1 });
    expect(checkSeqs(upTo(20).slice(4), 20, 5)).toEqual(clean);
  });
});
