import { fetchHistory, type HistoryPage, type ServerOptions } from '@livelog/client';
import { type Cursor, encodeCursor, type GapEvent, type LogEntry } from '@livelog/protocol';
import type { ServerFilter } from './line-filter.js';

/** Which server to ask for history, and with which filter. */
export interface HistoryQuery extends ServerOptions {
  filter: ServerFilter;
}

/** The server's most per history request. */
const MAX_PAGE = 1000;

/**
 * Up to `count` lines matching the query's filter, up to and including `cursor`'s own line,
 * ascending, from as many pages as that takes. `hasMore`: older lines exist before them.
 */
export async function linesUpTo(query: HistoryQuery, cursor: Cursor, count: number): Promise<HistoryPage> {
  let entries: LogEntry[] = [];
  let hasMore = true;
  // `before` is exclusive: the id just after the cursor brings the cursor's own line too.
  let before = encodeCursor({ stream: cursor.stream, seq: cursor.seq + 1 });
  while (entries.length < count && hasMore) {
    const page = await fetchHistory({ ...query, before, limit: Math.min(MAX_PAGE, count - entries.length) });
    entries = page.entries.concat(entries);
    hasMore = page.hasMore;
    // `next`, not the first entry: a page cut short by the server's scan budget may hold none.
    const next = page.next ?? page.entries[0]?.id;
    if (next === undefined) break;
    before = next;
  }
  return { entries, hasMore };
}

/**
 * `count` lines or fewer on each side of `cursor`'s line (which is among the later ones, if it matches),
 * and `gap` when retention removed lines from the cursor's on (as a page read forward names them).
 */
export async function linesAround(
  query: HistoryQuery,
  cursor: Cursor,
  count: number,
): Promise<{ entries: LogEntry[]; olderAvailable: boolean; newerAvailable: boolean; gap?: GapEvent }> {
  const [before, after] = await Promise.all([
    fetchHistory({ ...query, before: encodeCursor(cursor), limit: count }),
    fetchHistory({ ...query, after: encodeCursor({ stream: cursor.stream, seq: Math.max(0, cursor.seq - 1) }), limit: count }),
  ]);
  const around = { entries: before.entries.concat(after.entries), olderAvailable: before.hasMore, newerAvailable: after.hasMore };
  // Read after the line before the cursor: retention removed the lines from the cursor's on.
  return after.gap === undefined ? around : { ...around, gap: after.gap };
}

/**
 * Every line matching the query's filter and `match` up to seq `until`, oldest first, a page at a
 * time (for a download of the whole filtered range: bounded memory however long the range).
 */
export async function* linesInRange(
  query: HistoryQuery,
  match: (entry: LogEntry) => boolean,
  until: number,
  signal: AbortSignal,
): AsyncGenerator<LogEntry[]> {
  let page = await fetchHistory({ ...query, fromStart: true, limit: MAX_PAGE, signal });
  for (;;) {
    const wanted = page.entries.filter((entry) => entry.seq <= until && match(entry));
    if (wanted.length > 0) yield wanted;
    const last = page.entries.at(-1);
    const next = page.next ?? last?.id;
    if (!page.hasMore || next === undefined || (last !== undefined && last.seq >= until)) return;
    page = await fetchHistory({ ...query, after: next, limit: MAX_PAGE, signal });
  }
}
