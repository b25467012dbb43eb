import { isEmptyFilter } from '../entry/entry-filter.js';
import type { ReadPage, ReadQuery, StoreBounds, StoredEntry } from './log-store.js';

/**
 * How much one history read may do. A filter that matches little (`q=nomatch`) would otherwise scan
 * the whole store in one synchronous call and freeze the event loop (issue 11, item 2): the scan goes
 * through windows of `chunkRows` seqs, yields to the event loop between windows, and once `maxMs` has
 * passed it stops with `hasMore` and a `resume` position instead of scanning on.
 */
export interface ScanBudget {
  /** Most seqs examined per synchronous step. Defaults to 4,096. */
  chunkRows?: number;
  /**
   * Target time of one synchronous step, in ms: the window shrinks when a step took longer (a costly
   * `q` match) and grows back to `chunkRows` when steps are cheap. Every concurrent scan runs a step
   * per turn of the event loop, so this bounds what each one adds to that turn. Defaults to 4 ms.
   */
  stepMs?: number;
  /** Wall time after which the read answers what it has, with a cursor to continue. Defaults to 200 ms. */
  maxMs?: number;
  /**
   * Stored JSON of one page, in UTF-16 code units (about bytes for logs): the page ends after the entry
   * that reaches it, with `hasMore`. Defaults to `PAGE_UNITS`.
   */
  pageUnits?: number;
}

/**
 * The stored JSON a history page holds at most (plus its last entry). Pages of `limit` entries
 * whatever their size made one request as large as its entries: 1,000 entries near the line limit
 * (1 MiB) were a 1 GiB reply, built in memory in one go (210 entries of 900 KB: a 190 MB reply,
 * `/healthz` held 4.6 s, +740 MB). The same target as catch-up's pages of rows (row-page-size.ts).
 */
export const PAGE_UNITS = 4 * 1024 * 1024;

export const DEFAULT_SCAN_BUDGET: Required<ScanBudget> = { chunkRows: 4096, stepMs: 4, maxMs: 200, pageUnits: PAGE_UNITS };
/** The smallest window: below it the cost of a step is its SQL, not its rows. */
const MIN_ROWS = 64;
/** The first window of a read; later ones double while steps stay under half of `stepMs`. */
const FIRST_ROWS = 256;

/** One synchronous step of a scan: the matching entries with `low <= seq <= high`. */
export interface SeqWindow {
  low: number;
  high: number;
  /** `backward`: the newest matches of the window first. */
  direction: 'forward' | 'backward';
  /** At most this many entries. */
  limit: number;
  /**
   * The page's remaining JSON, in UTF-16 code units: the reader stops after the entry that reaches it
   * (so it reads no entry it does not answer). Always > 0 for a window scanPage asks for.
   */
  units: number;
}

/** Reads one window of the retained range, filtered as the query asks, in `direction` order. */
export type WindowReader = (window: SeqWindow) => StoredEntry[];

/** Continuations of bounded work waiting for their turn of the event loop, oldest first. */
const waiting: (() => void)[] = [];
let releasing = false;

/**
 * Lets pending I/O (other requests, `/healthz`) run before the caller's next step, and lets at most
 * one waiting step run per turn of the event loop, however many scans and catch-ups are under way.
 * With a plain setImmediate each, N concurrent scans would each run a step in the same turn, and a
 * turn would take N steps. Shared by the whole process on purpose: the event loop is too.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!releasing) {
      releasing = true;
      setImmediate(releaseOne);
    }
  });
}

function releaseOne(): void {
  const next = waiting.shift();
  // Scheduled from within the check phase, the next release falls in the next turn of the loop.
  if (waiting.length > 0) setImmediate(releaseOne);
  else releasing = false;
  next?.();
}

/**
 * Reads one page of history as `store.read` promises, window by window over the contiguous retained
 * range `bounds.first..bounds.last`. Every window is followed by a yield, so no single turn of the
 * event loop examines more than `chunkRows` seqs, and windows shrink to take about `stepMs` each.
 * The page ends early (fewer than `limit` entries, `hasMore: true`) when the time budget runs out,
 * or after the entry that brings its JSON to `pageUnits`; `resume` then says how far the scan got, and a read continued from it (`after: resume` forward,
 * `before: resume` backward) misses and repeats nothing. At least one window is read per call, so
 * paging by `resume` always moves on.
 */
export async function scanPage(
  query: ReadQuery,
  bounds: StoreBounds,
  readWindow: WindowReader,
  budget: ScanBudget = {},
): Promise<ReadPage> {
  const chunkRows = Math.max(1, budget.chunkRows ?? DEFAULT_SCAN_BUDGET.chunkRows);
  const stepMs = budget.stepMs ?? DEFAULT_SCAN_BUDGET.stepMs;
  const maxMs = budget.maxMs ?? DEFAULT_SCAN_BUDGET.maxMs;
  const pageUnits = Math.max(1, budget.pageUnits ?? DEFAULT_SCAN_BUDGET.pageUnits);
  // Start small when filtering: the cost of a row is unknown until a step is timed (a `q` match can
  // cost 5 µs a row). Without a filter every row matches, so one window of the page's size is cheap.
  let rows = isEmptyFilter(query.filter) ? Math.min(chunkRows, Math.max(FIRST_ROWS, query.limit + 1)) : Math.min(chunkRows, FIRST_ROWS);
  const low = Math.max(bounds.first, (query.after ?? 0) + 1);
  const high = Math.min(bounds.last, (query.before ?? Number.MAX_SAFE_INTEGER) - 1);
  const backward = query.direction === 'backward';
  const started = Date.now();
  const found: StoredEntry[] = [];
  let units = 0;
  // `next` is the first seq not yet examined, in the direction of the scan.
  let next = backward ? high : low;
  const remaining = () => (backward ? next - low + 1 : high - next + 1);
  while (remaining() > 0) {
    const size = Math.min(rows, remaining());
    const stepStarted = performance.now();
    const window: SeqWindow = backward
      ? { low: next - size + 1, high: next, direction: 'backward', limit: query.limit + 1 - found.length, units: pageUnits - units }
      : { low: next, high: next + size - 1, direction: 'forward', limit: query.limit + 1 - found.length, units: pageUnits - units };
    for (const row of readWindow(window)) {
      found.push(row);
      units += row.json.length;
    }
    rows = nextWindowRows(rows, performance.now() - stepStarted, stepMs, chunkRows);
    if (found.length > query.limit) {
      const page = found.slice(0, query.limit);
      const last = page[page.length - 1] as StoredEntry;
      return finish(page, true, backward, last.seq);
    }
    if (units >= pageUnits) {
      // Full by size: a short page, continued after its last entry (a page always holds one at least).
      const last = found[found.length - 1] as StoredEntry;
      const beyond = backward ? last.seq > low : last.seq < high;
      return beyond ? finish(found, true, backward, last.seq) : finish(found, false, backward, undefined);
    }
    next = backward ? window.low - 1 : window.high + 1;
    if (remaining() <= 0) break;
    if (Date.now() - started >= maxMs) {
      // Everything up to (forward) or down to (backward) the last window was examined.
      return finish(found, true, backward, backward ? next + 1 : next - 1);
    }
    await yieldToEventLoop();
  }
  return finish(found, false, backward, undefined);
}

/** The stored JSON of `rows`, in UTF-16 code units: what a page's size is counted in. */
export function unitsOf(rows: readonly StoredEntry[]): number {
  let units = 0;
  for (const row of rows) units += row.json.length;
  return units;
}

/** Scales the window so that the next step takes about `stepMs`, within MIN_ROWS..chunkRows. */
function nextWindowRows(rows: number, tookMs: number, stepMs: number, chunkRows: number): number {
  const floor = Math.min(MIN_ROWS, chunkRows);
  if (tookMs > stepMs) return Math.max(floor, Math.floor((rows * stepMs) / tookMs));
  if (tookMs < stepMs / 2) return Math.min(chunkRows, rows * 2);
  return rows;
}

function finish(entries: StoredEntry[], hasMore: boolean, backward: boolean, resume: number | undefined): ReadPage {
  if (backward) entries.reverse();
  return resume === undefined ? { entries, hasMore } : { entries, hasMore, resume };
}
