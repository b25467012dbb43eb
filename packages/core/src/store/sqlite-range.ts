import type Database from 'better-sqlite3';
import { unitsOf } from './chunked-scan.js';
import type { StoredEntry } from './log-store.js';
import type { SqlConditions } from './sqlite-filter.js';
import { SEQ_BITS, SEQ_MASK } from './sqlite-schema.js';

const SEQ = `seq & ${SEQ_MASK}`;

/** What a read may still answer: entries, and UTF-16 code units of their JSON (see SeqWindow.units). */
export interface Want {
  limit: number;
  /** No entry is read after the one that reaches it. */
  units: number;
}

/** What `want` leaves once `out` is read. */
export function rest(want: Want, out: readonly StoredEntry[]): Want {
  return { limit: want.limit - out.length, units: want.units - unitsOf(out) };
}

/** One read of a stream's seqs `low..high`, and in which order. */
export interface RangeRead {
  key: number;
  low: number;
  high: number;
  backward: boolean;
  conditions: SqlConditions;
}

/**
 * The entries of `read`'s range meeting its conditions. Rows are stepped through, not fetched all at
 * once (`.all`), so that a page of entries near the line limit is not read whole before its size is
 * known: the read stops after the entry that reaches `want.units`.
 */
export function readRange(statement: (sql: string) => Database.Statement, read: RangeRead, want: Want): StoredEntry[] {
  if (want.limit <= 0 || want.units <= 0) return [];
  const where = [`seq BETWEEN ((? << ${SEQ_BITS}) | ?) AND ((? << ${SEQ_BITS}) | ?)`, ...read.conditions.where];
  const sql = `SELECT ${SEQ}, json FROM entries WHERE ${where.join(' AND ')} ORDER BY seq ${read.backward ? 'DESC' : 'ASC'} LIMIT ?`;
  const rows = statement(sql)
    .raw(true)
    .iterate(read.key, read.low, read.key, read.high, ...read.conditions.params, want.limit) as IterableIterator<[number, string]>;
  const out: StoredEntry[] = [];
  let units = 0;
  for (const [seq, json] of rows) {
    out.push({ seq, json });
    units += json.length;
    // Leaving the loop ends the statement's iteration (better-sqlite3 resets it).
    if (units >= want.units) break;
  }
  return out;
}
