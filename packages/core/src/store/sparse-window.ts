import type Database from 'better-sqlite3';
import { SEQ_BITS } from './sqlite-schema.js';

/**
 * How many index rows per row of its own a window's piece range may hold before the window is
 * scanned instead of read through the index. With dense rowids (see sqlite-search) a stream's piece
 * range holds every piece written between its first and last, whatever the stream: a slow stream
 * among busy ones has a range made mostly of others' pieces, and a term common in those makes FTS5
 * read their doclist entries (~0.7 µs each) only for the map to drop them, while a scan confirms the
 * stream's own rows at ~1–2 µs each. Chosen by measuring (bench/README.md, "Dense search index
 * rowids").
 */
export const SPARSE_FACTOR = 4;

/** The first and last index row (piece number) of stream `@key`'s pieces keyed at seqs `@low..@high`. */
const SPAN_SQL = (order: 'ASC' | 'DESC') =>
  `SELECT piece FROM search_pieces WHERE entry BETWEEN ((@key << ${SEQ_BITS}) | @low) AND ((@key << ${SEQ_BITS}) | @high) ORDER BY entry ${order} LIMIT 1`;

/** Most of the term's index rows counted in a sparse range (see preferScan). */
const PROBE_ROWS = 256;

/** Index rows of the piece range `@first..@last` (every stream's) whose text satisfies `@match`, counted up to `@cap`. */
const TERM_ROWS_SQL =
  'SELECT count(*) FROM (SELECT 1 FROM entries_fts WHERE entries_fts MATCH @match AND rowid BETWEEN @first AND @last LIMIT @cap)';

/**
 * True when the window of stream `key` whose pieces are keyed at seqs `low..high`, holding `ownRows`
 * rows, is read faster by scanning its rows than through the index for FTS expression `match`.
 * First the range's size, free with dense rowids: the index rows between its first and last piece
 * (two seeks in the map's index, as candidatePiecesSql's bounds), every stream's. A range of at most
 * SPARSE_FACTOR rows per own row (a single stream's is never more than 1) takes the index with no
 * other statement. Past it, the term decides: the index reads the term's doclist over the whole
 * range, so when the term's rows there reach `ownRows` or PROBE_ROWS (a term common in the other
 * streams) the scan (~1–2 µs a row, stopping at the page's limit) costs less; a rare term's few rows
 * keep the index, which would otherwise lose to a scan of every own row.
 */
export function preferScan(
  statement: (sql: string) => Database.Statement,
  window: { key: number; low: number; high: number; ownRows: number; match: string },
): boolean {
  const params = { key: window.key, low: window.low, high: window.high };
  const first = statement(SPAN_SQL('ASC')).pluck(true).get(params) as number | undefined;
  if (first === undefined) return false;
  const last = statement(SPAN_SQL('DESC')).pluck(true).get(params) as number;
  // Pieces deleted since they were numbered only make the range look larger than it is.
  if (last - first + 1 <= SPARSE_FACTOR * window.ownRows) return false;
  // The count reads the doclist too: capped low, it tells a term common in the range from a rare one
  // at a fraction of a scan's cost, where counting up to the window's rows cost as much as the
  // index read it replaces (a page of a busy-ish stream 19 → 146 ms).
  const cap = Math.min(window.ownRows, PROBE_ROWS);
  const hits = statement(TERM_ROWS_SQL).pluck(true).get({ match: window.match, first, last, cap }) as number;
  return hits >= cap;
}

/**
 * The part of window `low..high` to scan first when it is sparse: its first `maxRows` seqs in the
 * window's order (newest first when `backward`), so one step never scans more than the scan budget's
 * chunkRows; the rest of the window is left to the index.
 */
export function scanPart(low: number, high: number, backward: boolean, maxRows: number): [number, number] {
  return backward ? [Math.max(low, high - maxRows + 1), high] : [low, Math.min(high, low + maxRows - 1)];
}
