import type Database from 'better-sqlite3';
import { SEQ_BITS } from './sqlite-schema.js';

/**
 * How many index rows per row of its own a window's piece range may hold before the window is
 * scanned instead of read through the index. With dense rowids (see sqlite-search) a stream's piece
 * range holds every piece written between its first and last, whatever the stream: a slow stream
 * among busy ones has a range made mostly of others' pieces, and a term common in those makes FTS5
 * read their doclist entries (~0.7 µs each) only for the map to drop them, while a scan confirms the
 * stream's own rows at ~1–2 µs each. Chosen by measuring (bench/README.md, "Dense search index
 * rowids"): a single stream's range never exceeds its own rows, so it always takes the index.
 */
export const SPARSE_FACTOR = 4;

/** The first and last index row (piece number) of stream `@key`'s pieces keyed at seqs `@low..@high`. */
const SPAN_SQL = (order: 'ASC' | 'DESC') =>
  `SELECT piece FROM search_pieces WHERE entry BETWEEN ((@key << ${SEQ_BITS}) | @low) AND ((@key << ${SEQ_BITS}) | @high) ORDER BY entry ${order} LIMIT 1`;

/**
 * How many index rows lie between the first and last piece of stream `key` keyed at seqs
 * `low..high` (two seeks in the map's index, as candidatePiecesSql's bounds), every stream's; 0 when
 * the stream has no piece there. Piece numbers are dense, so the count is their difference (pieces
 * deleted since only make it an overestimate).
 */
export function indexRowsInRange(statement: (sql: string) => Database.Statement, key: number, low: number, high: number): number {
  const params = { key, low, high };
  const first = statement(SPAN_SQL('ASC')).pluck(true).get(params) as number | undefined;
  if (first === undefined) return 0;
  const last = statement(SPAN_SQL('DESC')).pluck(true).get(params) as number;
  return last - first + 1;
}

/**
 * True when a window of `ownRows` rows whose piece range holds `indexRows` index rows is read faster
 * by scanning its rows than through the index: the range is sparse in the stream's own pieces.
 */
export function preferScan(indexRows: number, ownRows: number): boolean {
  return indexRows > SPARSE_FACTOR * ownRows;
}

/**
 * The part of window `low..high` to scan first when it is sparse: its first `maxRows` seqs in the
 * window's order (newest first when `backward`), so one step never scans more than the scan budget's
 * chunkRows; the rest of the window is left to the index.
 */
export function scanPart(low: number, high: number, backward: boolean, maxRows: number): [number, number] {
  return backward ? [Math.max(low, high - maxRows + 1), high] : [low, Math.min(high, low + maxRows - 1)];
}
