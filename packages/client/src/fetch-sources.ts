import type { SourceSummary, SourcesReply } from '@livelog/protocol';
import { LivelogClientError } from './errors.js';
import { apiUrl, errorOfAnswer, fetchOf, requestHeaders, type ServerOptions } from './http-request.js';

export type { SourceSummary } from '@livelog/protocol';

/** Options of fetchSources. */
export interface FetchSourcesOptions extends ServerOptions {
  signal?: AbortSignal;
}

/**
 * Every source the server has stored entries from (`GET /api/sources`), so a reader can offer all of
 * them as filters, not only those in the lines it happens to have loaded. Needs the `read` scope.
 * Throws LivelogClientError: `LIVELOG_CLIENT_ERR_NETWORK` when the request fails (or is aborted),
 * 401/403 for auth, `LIVELOG_CLIENT_ERR_HTTP` for 5xx.
 * @example
 * const sources = await fetchSources({ url, token });
 * console.log(sources.map((source) => `${source.name}: ${source.entries}`));
 * @see ../../../docs/reference/http-api.md
 */
export async function fetchSources(options: FetchSourcesOptions): Promise<SourceSummary[]> {
  let response: Response;
  try {
    response = await fetchOf(options)(apiUrl(options.url, 'sources', new URLSearchParams()), {
      headers: requestHeaders(options, { accept: 'application/json' }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    throw new LivelogClientError('LIVELOG_CLIENT_ERR_NETWORK', `sources request failed: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok) throw await errorOfAnswer(response);
  return ((await response.json()) as SourcesReply).sources;
}
