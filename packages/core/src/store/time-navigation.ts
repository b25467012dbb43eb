import { type LogEntry, levelNumber } from '@livelog/protocol';
import { RowPageSize } from '../broker/row-page-size.js';
import { compileFilter, type EntryFilter } from '../entry/entry-filter.js';
import { yieldToEventLoop } from './chunked-scan.js';
import type { BasicLogStore, StoredEntry } from './log-store.js';

/**
 * Issue 13: time bounds, jump to time, context and histograms over any store, built on what every
 * store already has (`seqBeforeTime`, `readAfter`, `read`, `bounds`). A store that can count faster
 * (the SQLite store's summary slices) implements `HistogramStore`; the others are scanned here.
 *
 * Time bounds follow the rule `since` on the stream always had (ingest keeps times close to arrival,
 * see ingest-limits.ts): a range starts at the first entry, in seq order, whose time reaches `since`,
 * and stops before the first one whose time reaches `until`.
 */

/** A seq range: entries with `after < seq < before`. Either end may be open. */
export interface SeqRange {
  after?: number;
  before?: number;
}

/** The seq range of the entries from `since` (inclusive) to `until` (exclusive), either optional. */
export async function seqRangeOfTime(store: BasicLogStore, since: number | undefined, until: number | undefined): Promise<SeqRange> {
  const range: SeqRange = {};
  if (since !== undefined) range.after = await store.seqBeforeTime(since);
  if (until !== undefined) range.before = (await store.seqBeforeTime(until)) + 1;
  return range;
}

/** Narrows `range` to `bounds`: the later `after`, the earlier `before`. */
export function intersectRange(range: SeqRange, bounds: SeqRange): SeqRange {
  const out: SeqRange = {};
  const after = Math.max(range.after ?? -1, bounds.after ?? -1);
  const before = Math.min(range.before ?? Number.POSITIVE_INFINITY, bounds.before ?? Number.POSITIVE_INFINITY);
  if (after >= 0) out.after = after;
  if (Number.isFinite(before)) out.before = before;
  return out;
}

/** The entry `seq` as a LogEntry. */
export function entryOf(row: StoredEntry): LogEntry {
  row.entry ??= JSON.parse(row.json) as LogEntry;
  return row.entry;
}

/**
 * The first retained entry whose time is ≥ `time` (in seq order, as `since` starts a stream), or the
 * last retained entry when none is; undefined for a stream that retains nothing.
 */
export async function seekTime(store: BasicLogStore, time: number): Promise<StoredEntry | undefined> {
  const bounds = await store.bounds();
  if (bounds.first > bounds.last) return undefined;
  const before = Math.max(bounds.first - 1, await store.seqBeforeTime(time));
  const at = before >= bounds.last ? bounds.last - 1 : before;
  const [row] = await store.readAfter(at, 1);
  return row;
}

/** The entries around `seq`, unfiltered: up to `before` older ones, the anchor, up to `after` newer ones. */
export interface Around {
  entries: StoredEntry[];
  hasBefore: boolean;
  hasAfter: boolean;
}

/**
 * Context of `seq`; undefined when `seq` is not retained. Each side is one history page of the store
 * (`read`), so it ends at the page's size in bytes as well as at `before` / `after` entries: 1,000
 * entries near the line limit on each side were 2 GiB read in one go. `hasBefore` / `hasAfter` then say
 * that more exists on that side, as they do at the count.
 */
export async function readAround(store: BasicLogStore, seq: number, before: number, after: number): Promise<Around | undefined> {
  const bounds = await store.bounds();
  if (seq < bounds.first || seq > bounds.last) return undefined;
  const [anchor] = await store.readAfter(seq - 1, 1);
  if (anchor === undefined || anchor.seq !== seq) return undefined;
  const older = before > 0 ? (await store.read({ before: seq, direction: 'backward', limit: before })).entries : [];
  const newer = after > 0 ? (await store.read({ after: seq, direction: 'forward', limit: after })).entries : [];
  const oldest = older[0]?.seq ?? seq;
  const newest = newer[newer.length - 1]?.seq ?? seq;
  return { entries: [...older, anchor, ...newer], hasBefore: oldest > bounds.first, hasAfter: newest < bounds.last };
}

/** What a histogram counts: entries with `since <= time < until`, in buckets of `bucketMs` from `since`. */
export interface HistogramQuery {
  since: number;
  until: number;
  bucketMs: number;
  filter?: EntryFilter;
  /** Wall time after which a count that reads entries stops and answers `partial`. */
  maxMs: number;
}

/** Counts by bucket index, then by level number. */
export interface HistogramCounts {
  counts: Map<number, Map<number, number>>;
  /** True when the count stopped at its budget: later buckets are undercounted. */
  partial: boolean;
}

/** Optional ability: a store that counts a histogram without reading every entry. */
export interface HistogramStore extends BasicLogStore {
  histogram(query: HistogramQuery): Promise<HistogramCounts>;
}

export function hasHistogram(store: BasicLogStore): store is HistogramStore {
  return typeof (store as Partial<HistogramStore>).histogram === 'function';
}

/** Adds `n` entries of `level` to bucket `index`. */
export function countInto(counts: HistogramCounts['counts'], index: number, level: number, n: number): void {
  let levels = counts.get(index);
  if (levels === undefined) {
    levels = new Map();
    counts.set(index, levels);
  }
  levels.set(level, (levels.get(level) ?? 0) + n);
}

const SCAN_PAGE = 2000;

/**
 * A histogram by reading the entries of the range page by page (the memory and Redis stores, and any
 * store without `histogram`). Cost: every entry in the time range is read and parsed once, a page per
 * turn of the event loop; past `maxMs` the count stops with `partial`. Pages are sized by bytes as
 * catch-up's pages of rows are (row-page-size.ts): the first reads 4 entries, each later one as many as
 * fit in about 4 MiB at their size so far, at most 2,000. Pages of 2,000 entries whatever their size
 * were one XRANGE of up to 2 GiB on Redis with entries near the line limit (1 MiB).
 */
export async function scanHistogram(store: BasicLogStore, query: HistogramQuery): Promise<HistogramCounts> {
  const started = Date.now();
  const bounds = await store.bounds();
  const range = intersectRange(await seqRangeOfTime(store, query.since, query.until), { after: bounds.first - 1, before: bounds.last + 1 });
  const matches = compileFilter(query.filter);
  const counts: HistogramCounts['counts'] = new Map();
  let cursor = range.after ?? 0;
  const last = (range.before ?? bounds.last + 1) - 1;
  const page = new RowPageSize(SCAN_PAGE);
  while (cursor < last) {
    const rows = await store.readAfter(cursor, Math.min(page.rows, last - cursor));
    if (rows.length === 0) break;
    page.observe(rows);
    for (const row of rows) {
      if (row.seq > last) break;
      const entry = entryOf(row);
      if (entry.time < query.since || entry.time >= query.until || !matches(entry)) continue;
      countInto(counts, Math.floor((entry.time - query.since) / query.bucketMs), levelNumber(entry.level), 1);
    }
    cursor = (rows[rows.length - 1] as StoredEntry).seq;
    if (cursor < last && Date.now() - started >= query.maxMs) return { counts, partial: true };
    await yieldToEventLoop();
  }
  return { counts, partial: false };
}
