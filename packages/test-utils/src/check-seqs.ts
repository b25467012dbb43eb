/** What `checkSeqs` found wrong; all zero means every seq 1..expected came exactly once, in order. */
export interface SeqCheck {
  /** Seqs of 1..expected never seen. */
  missing: number;
  /** Seqs seen more than once (each repeat counts). */
  duplicates: number;
  /** Seqs seen for the first time after a greater one. */
  reordered: number;
  /** Seqs beyond `expected`. */
  extra: number;
}

/**
 * Checks a reader's seqs against the exact-once, in-order guarantee: every seq from 1 to `expected`
 * once, ascending, nothing else. Every loss test relies on it; its own test plants each fault.
 */
export function checkSeqs(seqs: readonly number[], expected: number, first = 1): SeqCheck {
  let duplicates = 0;
  let reordered = 0;
  let extra = 0;
  const seen = new Set<number>();
  let previous = 0;
  for (const seq of seqs) {
    if (seen.has(seq)) duplicates++;
    else if (seq < previous) reordered++;
    if (seq > expected || seq < first) extra++;
    seen.add(seq);
    previous = Math.max(previous, seq);
  }
  let missing = 0;
  for (let seq = first; seq <= expected; seq++) if (!seen.has(seq)) missing++;
  return { missing, duplicates, reordered, extra };
}
