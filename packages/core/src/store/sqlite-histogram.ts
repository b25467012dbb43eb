import { levelNumber } from '@livelog/protocol';
import type Database from 'better-sqlite3';
import { isEmptyFilter } from '../entry/entry-filter.js';
import { yieldToEventLoop } from './chunked-scan.js';
import type { StoreBounds } from './log-store.js';
import { filterConditions } from './sqlite-filter.js';
import { SEQ_BITS, SEQ_MASK, SLICE_WIDTHS } from './sqlite-schema.js';
import { planSearch } from './sqlite-search.js';
import { countInto, type HistogramCounts, type HistogramQuery, intersectRange } from './time-navigation.js';

/** What a histogram needs of its SQLite stream. */
export interface HistogramSource {
  key: number;
  bounds: StoreBounds;
  statement(sql: string): Database.Statement;
  seqBeforeTime(time: number): Promise<number>;
}

/** Seqs examined per synchronous step of a filtered count. */
const WINDOW_ROWS = 8192;

/**
 * A histogram of one SQLite stream. Without a filter beyond `level`, and with buckets that are whole
 * slices, it sums the `time_slices` rows of the range (minute slices for buckets of whole minutes,
 * else second slices): a whole week in minutes is ~10,000 rows per level, whatever the entry count.
 * Otherwise (source, q, or sub-second buckets) it counts entries in SQL over the seq range of the
 * time range, window by window with yields, and stops with `partial` once `maxMs` has passed.
 */
export async function countHistogram(source: HistogramSource, query: HistogramQuery): Promise<HistogramCounts> {
  const width = sliceWidth(query);
  return width === undefined ? countEntries(source, query) : countSlices(source, query, width);
}

/** The summary width that serves `query`, if any. */
function sliceWidth(query: HistogramQuery): number | undefined {
  const filter = query.filter;
  if (filter !== undefined && !isEmptyFilter({ ...filter, level: undefined })) return undefined;
  const widths = [...SLICE_WIDTHS].reverse();
  return widths.find((width) => query.bucketMs % width === 0 && query.since % width === 0 && query.until % width === 0);
}

function countSlices(source: HistogramSource, query: HistogramQuery, width: number): HistogramCounts {
  const minLevel = query.filter?.level === undefined ? 0 : levelNumber(query.filter.level);
  const rows = source
    .statement(
      `SELECT CAST((slice - ?) / ? AS INTEGER) AS bucket, level, SUM(count) AS n FROM time_slices
       WHERE stream = ? AND width = ? AND slice >= ? AND slice < ? AND level >= ? GROUP BY bucket, level`,
    )
    .raw(true)
    .all(query.since, query.bucketMs, source.key, width, query.since, query.until, minLevel) as [number, number, number][];
  const counts: HistogramCounts['counts'] = new Map();
  for (const [bucket, level, n] of rows) if (n > 0) countInto(counts, bucket, level, n);
  return { counts, partial: false };
}

async function countEntries(source: HistogramSource, query: HistogramQuery): Promise<HistogramCounts> {
  const started = Date.now();
  const { bounds, key } = source;
  const range = intersectRange(
    { after: await source.seqBeforeTime(query.since), before: (await source.seqBeforeTime(query.until)) + 1 },
    { after: bounds.first - 1, before: bounds.last + 1 },
  );
  const search = query.filter?.query !== undefined && query.filter.query.type !== 'all' ? planSearch(query.filter.query, false) : undefined;
  const conditions = filterConditions(query.filter, search);
  const where = [`seq BETWEEN ((? << ${SEQ_BITS}) | ?) AND ((? << ${SEQ_BITS}) | ?)`, 'time >= ?', 'time < ?', ...conditions.where].join(
    ' AND ',
  );
  const sql = `SELECT CAST((time - ?) / ? AS INTEGER) AS bucket, level, COUNT(*) FROM entries WHERE ${where} GROUP BY bucket, level`;
  const counts: HistogramCounts['counts'] = new Map();
  const last = Math.min(SEQ_MASK, (range.before ?? bounds.last + 1) - 1);
  let low = (range.after ?? bounds.first - 1) + 1;
  while (low <= last) {
    const high = Math.min(last, low + WINDOW_ROWS - 1);
    const rows = source
      .statement(sql)
      .raw(true)
      .all(query.since, query.bucketMs, key, low, key, high, query.since, query.until, ...conditions.params) as [number, number, number][];
    for (const [bucket, level, n] of rows) countInto(counts, bucket, level, n);
    low = high + 1;
    if (low <= last && Date.now() - started >= query.maxMs) return { counts, partial: true };
    await yieldToEventLoop();
  }
  return { counts, partial: false };
}
