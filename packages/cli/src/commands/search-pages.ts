import { fetchHistory, type StreamFilter } from '@livelog/client';
import { decodeCursor, type GapEvent, type LogEntry } from '@livelog/protocol';

/** What `matchPages` reads. */
export interface MatchPagesOptions {
  url: string;
  token?: string;
  /** The named stream, if not `default`. */
  stream?: string;
  /** The search: `q`, `level`, `source`, `since`, `until`, all applied by the server. */
  filter: StreamFilter;
  /** Newest first, paging back from the end of the range; else oldest first from its start. */
  reverse: boolean;
  /** Where to begin instead of the range's end (or start): an id to read before (or after). */
  from?: string;
  /** Told when entries after a page's cursor were removed by retention before this read reached them. */
  onGap?: (gap: GapEvent) => void;
  signal?: AbortSignal;
}

/** One page of matches, in the order asked. */
export interface MatchPage {
  entries: LogEntry[];
  /**
   * The seq the server's scan reached (`next`): every entry on the far side of it, in the order
   * asked, is still to come, so whether an entry up to it matches is known now. Undefined at the end.
   */
  frontier: number | undefined;
}

/** Entries per history request: the server's largest page. */
const PAGE = 1000;

/**
 * Every match of a search, page by page, as `GET /api/logs` pages them: forward from `from=start`
 * with `after=<next>`, or back from the newest with `before=<next>`, until `hasMore` is false. A page
 * cut short by the server's scan budget (few entries, even none, with `hasMore`) is followed by its
 * `next` like any other, so no match is lost or repeated (docs/reference/http-api.md).
 */
export async function* matchPages(options: MatchPagesOptions): AsyncGenerator<MatchPage> {
  let next = options.from;
  for (;;) {
    const position =
      next === undefined ? (options.reverse ? {} : { fromStart: true }) : options.reverse ? { before: next } : { after: next };
    const page = await fetchHistory({
      url: options.url,
      ...(options.token ? { token: options.token } : {}),
      ...(options.stream === undefined ? {} : { stream: options.stream }),
      ...position,
      limit: PAGE,
      filter: options.filter,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (page.gap !== undefined) options.onGap?.(page.gap);
    // `next` is always there with `hasMore` (the oldest servers sent none: their pages were never cut short).
    const last = options.reverse ? page.entries[0]?.id : page.entries.at(-1)?.id;
    next = page.hasMore ? (page.next ?? last) : undefined;
    const entries = options.reverse ? page.entries.reverse() : page.entries;
    const decoded = next === undefined ? undefined : decodeCursor(next);
    yield { entries, frontier: decoded?.ok === true ? decoded.cursor.seq : undefined };
    if (next === undefined) return;
  }
}
