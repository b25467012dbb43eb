import { parseQuery } from '@livelog/protocol';
import { describe, expect, it } from 'vitest';
import { type ScanBudget, type SeqWindow, scanPage, type WindowReader } from './chunked-scan.js';
import type { ReadQuery, StoreBounds, StoredEntry } from './log-store.js';

/** A retained range `first..last` where `isMatch(seq)` says which seqs the filter lets through. */
function fakeStore(first: number, last: number, isMatch: (seq: number) => boolean) {
  const windows: SeqWindow[] = [];
  const read: WindowReader = (window) => {
    windows.push(window);
    const rows: StoredEntry[] = [];
    const step = window.direction === 'backward' ? -1 : 1;
    for (let seq = window.direction === 'backward' ? window.high : window.low; seq >= window.low && seq <= window.high; seq += step) {
      if (rows.length >= window.limit) break;
      if (isMatch(seq)) rows.push({ seq, json: `{"seq":${seq}}` });
    }
    return rows;
  };
  return { bounds: { first, last } as StoreBounds, read, windows };
}

/** Pages through the whole range by `resume` and returns every seq seen, in the order pages came. */
async function pageThrough(
  store: ReturnType<typeof fakeStore>,
  direction: 'forward' | 'backward',
  limit: number,
  budget: ScanBudget,
): Promise<{ seqs: number[]; pages: number }> {
  const seqs: number[] = [];
  let pages = 0;
  let query: ReadQuery = direction === 'forward' ? { limit, after: 0 } : { limit, direction, before: store.bounds.last + 1 };
  for (;;) {
    const page = await scanPage(query, store.bounds, store.read, budget);
    pages++;
    const pageSeqs = page.entries.map((entry) => entry.seq);
    expect(pageSeqs).toEqual([...pageSeqs].sort((a, b) => a - b));
    seqs.push(...(direction === 'forward' ? pageSeqs : pageSeqs.reverse()));
    if (!page.hasMore) return { seqs, pages };
    const resume = page.resume as number;
    expect(resume).toBeTypeOf('number');
    query = direction === 'forward' ? { limit, after: resume } : { limit, direction, before: resume };
  }
}

describe('scanPage', () => {
  const matchesEvery = (n: number) => (seq: number) => seq % n === 0;

  it.each(['forward', 'backward'] as const)(
    'pages %s by resume to every match exactly once, even when the budget cuts pages short',
    async (direction) => {
      const store = fakeStore(101, 20_000, matchesEvery(97));
      const expected = Array.from({ length: 20_000 }, (_, i) => i + 1).filter((seq) => seq >= 101 && seq % 97 === 0);
      if (direction === 'backward') expected.reverse();
      // maxMs 0: every read stops after its first window, the worst case of a busy server.
      const cut = await pageThrough(store, direction, 7, { chunkRows: 500, maxMs: 0 });
      expect(cut.seqs).toEqual(expected);
      expect(cut.pages).toBeGreaterThanOrEqual(Math.ceil(19_900 / 500));
      const whole = await pageThrough(fakeStore(101, 20_000, matchesEvery(97)), direction, 7, { chunkRows: 500, maxMs: 60_000 });
      expect(whole.seqs).toEqual(expected);
    },
  );

  it('never examines more than chunkRows seqs in one step, and yields to the event loop between steps', async () => {
    const store = fakeStore(1, 50_000, () => false);
    let immediates = 0;
    const countImmediates = (): void => {
      immediates++;
      if (immediates < 1_000_000) setImmediate(countImmediates);
    };
    setImmediate(countImmediates);
    const page = await scanPage({ limit: 10, filter: { query: parseQuery('nomatch') } }, store.bounds, store.read, {
      chunkRows: 1000,
      maxMs: 60_000,
    });
    immediates = 1_000_000;
    expect(page).toEqual({ entries: [], hasMore: false });
    // Every seq examined once, in windows of at most chunkRows (fewer when a step ran slow).
    const sizes = store.windows.map((window) => window.high - window.low + 1);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(50_000);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(1000);
    expect(store.windows.length).toBeGreaterThanOrEqual(50);
    // Other callbacks ran between the steps: one per window at least.
    expect(immediates).toBeGreaterThanOrEqual(store.windows.length - 1);
  });

  it('runs one step per turn of the event loop, however many scans run at once', async () => {
    let turn = 0;
    let ticking = true;
    const tick = (): void => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const stepTurns: number[] = [];
    const scans = Array.from({ length: 4 }, () => {
      const store = fakeStore(1, 20_000, () => false);
      const read: WindowReader = (window) => {
        stepTurns.push(turn);
        return store.read(window);
      };
      return scanPage({ limit: 10, filter: { level: 'error' } }, store.bounds, read, { chunkRows: 1000, maxMs: 60_000 });
    });
    await Promise.all(scans);
    ticking = false;
    expect(stepTurns.length).toBeGreaterThanOrEqual(80);
    // The first step of each scan runs when it is called; every later one waits for a turn of its own.
    const later = stepTurns.slice(4);
    expect(new Set(later).size).toBe(later.length);
  });

  it('answers a full page with hasMore and the edge as resume, like an unbounded read', async () => {
    const store = fakeStore(1, 100, () => true);
    expect(await scanPage({ limit: 10, after: 5 }, store.bounds, store.read)).toMatchObject({ hasMore: true, resume: 15 });
    const back = await scanPage({ limit: 10, direction: 'backward', before: 50 }, store.bounds, store.read);
    expect(back.entries.map((entry) => entry.seq)).toEqual([40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
    expect(back).toMatchObject({ hasMore: true, resume: 40 });
    const exact = await scanPage({ limit: 10, after: 90 }, store.bounds, store.read);
    expect(exact.hasMore).toBe(false);
    expect(exact.resume).toBeUndefined();
  });

  it('reads nothing outside the retained range and handles an empty one', async () => {
    const empty = fakeStore(11, 10, () => true);
    expect(await scanPage({ limit: 5 }, empty.bounds, empty.read)).toEqual({ entries: [], hasMore: false });
    expect(empty.windows).toHaveLength(0);
    const store = fakeStore(50, 60, () => true);
    const page = await scanPage({ limit: 100, after: 3, before: 1000 }, store.bounds, store.read);
    expect(page.entries.map((entry) => entry.seq)).toEqual(Array.from({ length: 11 }, (_, i) => 50 + i));
  });
});
