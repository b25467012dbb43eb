import { type Cursor, encodeCursor, type LogEntry } from '@livelog/protocol';
import type { ServerFilter } from './line-filter.js';
import type { HistoryPage, LogSource } from './log-source.js';

/** The server's most per history request. */
const MAX_PAGE = 1000;

/**
 * Up to `count` lines matching `filter`, up to and including `cursor`'s own line, ascending, from as
 * many pages as that takes. `hasMore`: older lines exist before them.
 */
export async function linesUpTo(source: LogSource, filter: ServerFilter, cursor: Cursor, count: number): Promise<HistoryPage> {
  let entries: LogEntry[] = [];
  let hasMore = true;
  // `before` is exclusive: the id just after the cursor brings the cursor's own line too.
  let before = encodeCursor({ stream: cursor.stream, seq: cursor.seq + 1 });
  while (entries.length < count && hasMore) {
    const page = await source.history({ before }, filter, Math.min(MAX_PAGE, count - entries.length));
    entries = page.entries.concat(entries);
    hasMore = page.hasMore;
    const first = page.entries[0];
    if (first === undefined) break;
    before = first.id;
  }
  return { entries, hasMore };
}

/** `count` lines or fewer on each side of `cursor`'s line (which is among the later ones, if it matches). */
export async function linesAround(
  source: LogSource,
  filter: ServerFilter,
  cursor: Cursor,
  count: number,
): Promise<{ entries: LogEntry[]; olderAvailable: boolean; newerAvailable: boolean }> {
  const [before, after] = await Promise.all([
    source.history({ before: encodeCursor(cursor) }, filter, count),
    source.history({ after: encodeCursor({ stream: cursor.stream, seq: Math.max(0, cursor.seq - 1) }) }, filter, count),
  ]);
  return { entries: before.entries.concat(after.entries), olderAvailable: before.hasMore, newerAvailable: after.hasMore };
}

/**
 * Every line matching `filter` and `match` up to seq `until`, oldest first, a page at a time (for a
 * download of the whole filtered range: bounded memory however long the range).
 */
export async function* linesInRange(
  source: LogSource,
  filter: ServerFilter,
  match: (entry: LogEntry) => boolean,
  until: number,
  signal: AbortSignal,
): AsyncGenerator<LogEntry[]> {
  let page = await source.history({ fromStart: true }, filter, MAX_PAGE, signal);
  for (;;) {
    const wanted = page.entries.filter((entry) => entry.seq <= until && match(entry));
    if (wanted.length > 0) yield wanted;
    const last = page.entries.at(-1);
    if (!page.hasMore || last === undefined || last.seq >= until) return;
    page = await source.history({ after: last.id }, filter, MAX_PAGE, signal);
  }
}
