import type { ContextReply, HistoryPage } from '@livelog/protocol';
import { addFilterParams, apiUrl, getJsonReply, type ServerOptions, type StreamFilter } from './http-request.js';

/**
 * Options of fetchHistory. Give at most one position: `after` pages forward, `before` pages back,
 * `fromStart` starts at the oldest retained entry; with none, the newest `limit` entries come.
 */
export interface FetchHistoryOptions extends ServerOptions {
  /** The `limit` entries just after this id (e.g. the last of the previous page). */
  after?: string;
  /** The `limit` entries just before this id (e.g. the first one on screen). */
  before?: string;
  /** From the oldest retained entry. Defaults to false. */
  fromStart?: boolean;
  /** Entries per page, 1 to 1,000. Defaults to the server's 200. */
  limit?: number;
  /** The same filters as the stream. Defaults to none. */
  filter?: StreamFilter;
  signal?: AbortSignal;
}

export type { HistoryPage } from '@livelog/protocol';

/**
 * One page of `GET /api/logs`, for scrolling back past what a stream delivered. Ids from a stream and
 * from history are the same cursors, so `before: firstShown.id` continues exactly where the screen
 * begins. Throws LivelogClientError: 400 for a malformed id, 409 (`serverCode`
 * `LIVELOG_ERR_CURSOR_FOREIGN`) for an id of another stream, 401/403 for auth,
 * `LIVELOG_CLIENT_ERR_STREAM_NOT_FOUND` for an unknown `stream`. With `stream`, it reads
 * `GET /api/streams/{name}/logs`; a name the server would refuse throws a TypeError. A page read
 * `after` an id whose next entries retention removed carries `gap` (`{fromSeq, toSeq, missed, …}`, as
 * the stream's `gap` event): they are gone, and the page starts at the oldest retained entry.
 * @example
 * let page = await fetchHistory({ url, before: oldest.id, limit: 200 });
 * // `next`: a page can stop short (even empty) when the server's scan budget for one request runs out.
 * while (page.hasMore && page.next) page = await fetchHistory({ url, before: page.next, limit: 200 });
 */
export async function fetchHistory(options: FetchHistoryOptions): Promise<HistoryPage> {
  const params = new URLSearchParams();
  if (options.after !== undefined) params.set('after', options.after);
  if (options.before !== undefined) params.set('before', options.before);
  if (options.fromStart === true) params.set('from', 'start');
  if (options.limit !== undefined) params.set('limit', String(options.limit));
  addFilterParams(params, options.filter);
  // Outside the try: a bad stream name is the caller's TypeError, not a network failure.
  const url = apiUrl(options.url, 'logs', params, options.stream);
  return getJsonReply<HistoryPage>(options, url, 'history');
}

/** Options of fetchContext. */
export interface FetchContextOptions extends ServerOptions {
  /** The id of the entry to show the surroundings of (e.g. a search match). */
  around: string;
  /** Entries before it, 0 to 1,000. Defaults to the server's 20. */
  before?: number;
  /** Entries after it, 0 to 1,000. Defaults to the server's 20. */
  after?: number;
  signal?: AbortSignal;
}

export type { ContextReply } from '@livelog/protocol';

/**
 * The entries around one (`GET /api/logs?around=<id>&before=N&after=N`), unfiltered, the anchor
 * included, ascending by seq: what surrounded a search match. Throws LivelogClientError as
 * fetchHistory does; an id no longer retained (or not yet written) is
 * `LIVELOG_CLIENT_ERR_BAD_REQUEST` with `serverCode` `LIVELOG_ERR_NO_ENTRY`.
 * @example
 * const { entries } = await fetchContext({ url, around: match.id, before: 3, after: 3 });
 * @see ../../../docs/reference/http-api.md
 */
export async function fetchContext(options: FetchContextOptions): Promise<ContextReply> {
  const params = new URLSearchParams({ around: options.around });
  if (options.before !== undefined) params.set('before', String(options.before));
  if (options.after !== undefined) params.set('after', String(options.after));
  const url = apiUrl(options.url, 'logs', params, options.stream);
  return getJsonReply<ContextReply>(options, url, 'context');
}
