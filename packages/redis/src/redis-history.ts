import { compileFilter, isEmptyFilter, type ReadPage, type ReadQuery, type StoredEntry } from '@livelog/core';
import { type LogEntry, levelNumber } from '@livelog/protocol';
import { type RawStreamEntry, type StreamRow, toRows, toStored } from './stream-rows.js';

/** Entries of a page's first XRANGE, before their size is known. */
const FIRST_READ = 4;

/** How a history read may scan. */
export interface HistoryScan {
  /** Most entries per XRANGE / XREVRANGE. */
  pageSize: number;
  /** Wall time after which a filtered read answers what it found, with `hasMore` and `resume`. */
  scanMaxMs: number;
  /** JSON of one page, in UTF-16 code units: the page ends after the entry that reaches it (PAGE_UNITS). */
  pageUnits: number;
}

/**
 * One page of history. Redis cannot filter a stream, so a filtered page scans the range in XRANGE /
 * XREVRANGE pages and filters here: level and source from the entry's stream fields, text from its
 * JSON. Each Redis call reads at most `pageSize` entries, so Redis is never held long; the scan stops
 * at the first `limit + 1` matches, the end of the range, or after `scanMaxMs` (a rare match in a long
 * stream would otherwise hold the request for as long as the whole stream takes to scan): then the page
 * has `hasMore` and a `resume` position, as the SQLite store's bounded scan answers.
 */
export async function readHistory(
  query: ReadQuery,
  scan: HistoryScan,
  send: (command: string[]) => Promise<RawStreamEntry[]>,
): Promise<ReadPage> {
  const { pageSize } = scan;
  const deadline = Date.now() + scan.scanMaxMs;
  let low = (query.after ?? 0) + 1;
  let high = query.before === undefined ? Number.MAX_SAFE_INTEGER : query.before - 1;
  const backward = query.direction === 'backward';
  const filtered = !isEmptyFilter(query.filter);
  const matches = filtered ? rowFilter(query) : () => true;
  const found: StoredEntry[] = [];
  const want = query.limit + 1;
  // A page ends after the entry that reaches `pageUnits` of JSON, and each XRANGE reads about as many
  // entries as that leaves room for at the size of those read so far (the first reads 4): a COUNT of
  // 1,000 entries near the line limit was a 1 GiB reply.
  let units = 0;
  let seenRows = 0;
  let seenUnits = 0;
  while (low <= high && found.length < want) {
    const perRow = seenRows === 0 ? scan.pageUnits / FIRST_READ : Math.max(1, seenUnits / seenRows);
    // A filtered scan reads a page's worth of rows per call, whatever part of them matches.
    const fit = Math.max(1, Math.ceil((filtered ? scan.pageUnits : scan.pageUnits - units) / perRow));
    const count = Math.min(fit, filtered ? pageSize : want - found.length);
    const from = `${low}-0`;
    const to = high === Number.MAX_SAFE_INTEGER ? '+' : `${high}-0`;
    // The key is filled in by the caller's sender (it knows the stream's log key).
    const command = backward ? ['XREVRANGE', '', to, from, 'COUNT', String(count)] : ['XRANGE', '', from, to, 'COUNT', String(count)];
    const rows = toRows(await send(command));
    seenRows += rows.length;
    for (const row of rows) seenUnits += row.json.length;
    for (const [index, row] of rows.entries()) {
      if (found.length === want) break;
      if (!matches(row)) continue;
      found.push(toStored(row));
      units += row.json.length;
      if (units >= scan.pageUnits && found.length <= query.limit) {
        // Full by size: a short page, continued after its last entry (a page always holds one at least).
        const entries = found.slice();
        if (backward) entries.reverse();
        // More may follow when rows of this read come after it, or the read was not the range's last.
        const more = index < rows.length - 1 || rows.length === count;
        return more ? { entries, hasMore: true, resume: row.seq } : { entries, hasMore: false };
      }
    }
    const lastRow = rows[rows.length - 1];
    if (lastRow === undefined || rows.length < count) break;
    if (backward) high = lastRow.seq - 1;
    else low = lastRow.seq + 1;
    if (filtered && found.length < want && low <= high && Date.now() >= deadline) {
      // Out of time with the range not scanned to its end: the next read continues where this stopped.
      const entries = found.slice();
      if (backward) entries.reverse();
      return { entries, hasMore: true, resume: backward ? high + 1 : low - 1 };
    }
  }
  const hasMore = found.length > query.limit;
  const entries = found.slice(0, query.limit);
  if (backward) entries.reverse();
  return { entries, hasMore };
}

function rowFilter(query: ReadQuery): (row: StreamRow) => boolean {
  const filter = query.filter ?? {};
  const minLevel = filter.level === undefined ? 0 : levelNumber(filter.level);
  const sources = filter.sources !== undefined && filter.sources.length > 0 ? new Set(filter.sources) : undefined;
  // The level and source are checked on the stream fields first, so only candidates are parsed.
  // The query language by scanning: every entry of the range that passes level and source is parsed
  // and matched in memory (see the README for the cost).
  const text = filter.query !== undefined && filter.query.type !== 'all' ? compileFilter({ query: filter.query }) : undefined;
  return (row) =>
    row.level >= minLevel &&
    (sources === undefined || sources.has(row.source)) &&
    (text === undefined || text(JSON.parse(row.json) as LogEntry));
}
