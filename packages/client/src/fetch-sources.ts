import type { SourceSummary, SourcesReply } from '@livelog/protocol';
import { apiUrl, getJsonReply, type ServerOptions } from './http-request.js';

export type { SourceSummary } from '@livelog/protocol';

/** Options of fetchSources. */
export interface FetchSourcesOptions extends ServerOptions {
  signal?: AbortSignal;
  /** Most sources to list, following the server's pages. Defaults to 10,000. */
  maxSources?: number;
  /** Sources per request (the server's `limit`, at most 10,000). Defaults to the server's 1,000. */
  pageSize?: number;
}

/**
 * Every source the server has stored entries from (`GET /api/sources`), so a reader can offer all of
 * them as filters, not only those in the lines it happens to have loaded. Needs the `read` scope.
 * Throws LivelogClientError: `LIVELOG_CLIENT_ERR_NETWORK` when the request fails (or is aborted),
 * 401/403 for auth, `LIVELOG_CLIENT_ERR_HTTP` for 5xx, `LIVELOG_CLIENT_ERR_STREAM_NOT_FOUND` for an unknown
 * `stream` (with `stream`: `GET /api/streams/{name}/sources`).
 * @example
 * const sources = await fetchSources({ url, token });
 * console.log(sources.map((source) => `${source.name}: ${source.entries}`));
 * @see ../../../docs/reference/http-api.md
 */
export async function fetchSources(options: FetchSourcesOptions): Promise<SourceSummary[]> {
  const max = options.maxSources ?? 10_000;
  const sources: SourceSummary[] = [];
  let after: string | undefined;
  // The server answers in pages (`next`): follow them, so a stream with many sources lists them all.
  do {
    const params = new URLSearchParams();
    if (after !== undefined) params.set('after', after);
    if (options.pageSize !== undefined) params.set('limit', String(options.pageSize));
    const reply = await sourcesPage(options, params);
    sources.push(...reply.sources);
    after = reply.next;
  } while (after !== undefined && sources.length < max);
  return sources.slice(0, max);
}

async function sourcesPage(options: FetchSourcesOptions, params: URLSearchParams): Promise<SourcesReply> {
  // Outside the try: a bad stream name is the caller's TypeError, not a network failure.
  const url = apiUrl(options.url, 'sources', params, options.stream);
  return getJsonReply<SourcesReply>(options, url, 'sources');
}
