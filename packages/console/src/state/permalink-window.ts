import { isLivelogClientError } from '@livelog/client';
import type { Cursor, GapEvent, LogEntry } from '@livelog/protocol';
import { type HistoryQuery, linesAround } from './history-pages.js';

/** The lines around a permalink's line, or why that line cannot be shown. */
export type PermalinkWindow =
  | { kind: 'found' | 'hidden'; entries: LogEntry[]; olderAvailable: boolean; newerAvailable: boolean; gap?: GapEvent }
  /** The id names another stream (the data was reset, or it is another server's). */
  | { kind: 'foreign' }
  /** The seq was never assigned: the log ends before it. */
  | { kind: 'future'; newest: number | undefined }
  /** Retention removed it: the oldest retained line comes after it. */
  | { kind: 'removed'; entries: LogEntry[]; olderAvailable: boolean; newerAvailable: boolean; gap?: GapEvent };

/**
 * Fetches up to `half` lines on each side of `cursor` and tells what became of its line. `kind` is
 * `found` when it is among them; otherwise the pages say why: nothing at or after its seq means it
 * does not exist yet (a permalink must not call such an id "removed by retention"); nothing before it
 * and the first line after it means retention removed it (or the filter hides it: then the pages
 * cannot tell, and `hidden` is as far as they go). A 409 from the server means the id is foreign.
 */
export async function permalinkWindow(query: HistoryQuery, cursor: Cursor, half: number, filtered: boolean): Promise<PermalinkWindow> {
  let around: Awaited<ReturnType<typeof linesAround>>;
  try {
    around = await linesAround(query, cursor, half);
  } catch (error) {
    if (isLivelogClientError(error) && error.serverCode === 'LIVELOG_ERR_CURSOR_FOREIGN') return { kind: 'foreign' };
    throw error;
  }
  const { entries } = around;
  if (entries.some((entry) => entry.seq === cursor.seq)) return { kind: 'found', ...around };
  const after = entries.filter((entry) => entry.seq > cursor.seq);
  if (after.length === 0 && !around.newerAvailable) {
    // With a filter the newest line shown may be older than the head: the seq may exist, hidden.
    if (!filtered) return { kind: 'future', newest: entries.at(-1)?.seq };
  }
  const before = entries.filter((entry) => entry.seq < cursor.seq);
  if (!filtered && before.length === 0 && !around.olderAvailable && after.length > 0) return { kind: 'removed', ...around };
  return { kind: 'hidden', ...around };
}

/** What the status line says when a permalink's line is not shown. */
export function permalinkNotice(id: string, window: Exclude<PermalinkWindow, { kind: 'found' }>): string {
  switch (window.kind) {
    case 'foreign':
      return `The link names line ${id} of another log (this server's data was reset, or the link is another server's): showing the live tail`;
    case 'future':
      return `Line ${id} does not exist: this log ${window.newest === undefined ? 'is empty' : `ends at line ${window.newest}`}; showing the live tail`;
    case 'removed':
      return `Line ${id} was removed by retention: the oldest retained line is ${window.entries[0]?.seq ?? '?'}`;
    default:
      return `Line ${id} is not retained any more, or the filter hides it`;
  }
}
