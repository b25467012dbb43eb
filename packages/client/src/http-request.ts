import { type CloseEvent, isRetryableClose, isStreamName, joinSourceList, type LevelName } from '@livelog/protocol';
import { type ClientErrorCode, LivelogClientError } from './errors.js';
import type { OpenStreamOptions } from './stream-options.js';

/**
 * Which entries a reader wants. Applied by the server, so skipped entries never cross the network;
 * the server moves the reader's cursor past them with id-only events.
 */
export interface StreamFilter {
  /** Minimum level. Defaults to every level. */
  level?: LevelName;
  /** Only these sources. Defaults to every source. */
  source?: string | readonly string[];
  /** A query in livelog's query language (a bare word is a case-insensitive substring). Defaults to none. */
  q?: string;
  /** Only entries at or after this time: ISO 8601, epoch ms, or relative (`15m` before now). Defaults to none. */
  since?: string;
  /** Only entries before this time (same forms as `since`); a stream with a past `until` replays and ends. Defaults to none. */
  until?: string;
}

/** What every request needs: where the server is and how to authenticate. */
export interface ServerOptions {
  /**
   * The server's base URL, e.g. `http://127.0.0.1:7600` or `https://example.com/logs` behind a proxy
   * that mounts livelog under a path. Relative URLs resolve against the page in browsers.
   */
  url: string;
  /** A token with the `read` scope, sent as `Authorization: Bearer`. Defaults to none. */
  token?: string;
  /** More request headers. Defaults to none. */
  headers?: Readonly<Record<string, string>>;
  /** The fetch to use. Defaults to `globalThis.fetch`. */
  fetch?: typeof fetch;
  /**
   * The named stream to read (`/api/streams/{name}/…`), e.g. `build-1234`: lowercase letters, digits,
   * `.`, `_`, `-`, starting with a letter or digit, at most 128 characters. Defaults to none: the
   * unprefixed routes, which mean the stream `default`.
   * @see ../../../docs/concepts/streams.md
   */
  stream?: string;
}

/**
 * The path under `/api/` of a route of `stream` (`streams/{name}/<path>`), or of the unprefixed route
 * when no stream is named. Throws a TypeError for a name the server would refuse, so a typo fails
 * at the call instead of as a 400 on every reconnect.
 */
export function streamPath(stream: string | undefined, path: string): string {
  if (stream === undefined) return path;
  if (!isStreamName(stream)) {
    throw new TypeError(
      `@livelog/client: ${JSON.stringify(stream)} is not a stream name (lowercase letters, digits, ".", "_", "-"; starting with a letter or digit; at most 128 characters)`,
    );
  }
  return `streams/${stream}/${path}`;
}

/**
 * `<base>/api/<path>` with `params`; a URL already ending in `/api/<path>` is kept. With `stream`, the
 * path is that stream's (`/api/streams/{name}/<path>`).
 */
export function apiUrl(base: string, path: string, params: URLSearchParams, stream?: string): string {
  const trimmed = base.replace(/\/+$/, '');
  const full = streamPath(stream, path);
  const root = trimmed.endsWith(`/api/${full}`) ? trimmed : `${trimmed}/api/${full}`;
  const query = params.toString();
  return query === '' ? root : `${root}${root.includes('?') ? '&' : '?'}${query}`;
}

/** Adds the filter's query parameters to `params`. */
export function addFilterParams(params: URLSearchParams, filter: StreamFilter | undefined): void {
  if (filter === undefined) return;
  if (filter.level !== undefined) params.set('level', filter.level);
  const sources = typeof filter.source === 'string' ? [filter.source] : (filter.source ?? []);
  if (sources.length > 0) params.set('source', joinSourceList(sources));
  if (filter.q !== undefined && filter.q !== '') params.set('q', filter.q);
  if (filter.since !== undefined && filter.since !== '') params.set('since', filter.since);
  if (filter.until !== undefined && filter.until !== '') params.set('until', filter.until);
}

/** Headers of a request: the caller's, then auth. */
export function requestHeaders(options: ServerOptions, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { ...options.headers, ...extra };
  if (options.token !== undefined && options.token !== '') headers.authorization = `Bearer ${options.token}`;
  return headers;
}

/** The fetch to use, bound so browsers do not throw "Illegal invocation". */
export function fetchOf(options: ServerOptions): typeof fetch {
  if (options.fetch !== undefined) return options.fetch;
  if (typeof globalThis.fetch !== 'function') throw new TypeError('@livelog/client needs fetch (Node >= 20, or a browser)');
  return globalThis.fetch.bind(globalThis);
}

/**
 * The error a non-2xx answer stands for. 401/403/400 and other 4xx (except 408 and 429) are fatal:
 * asking again cannot succeed. 5xx, 408 and 429 are transient, with Retry-After when sent.
 */
export async function errorOfAnswer(response: Response): Promise<LivelogClientError> {
  let serverCode: string | undefined;
  let serverMessage = '';
  try {
    const text = await response.text();
    try {
      const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      if (typeof body.error?.code === 'string') serverCode = body.error.code;
      if (typeof body.error?.message === 'string') serverMessage = body.error.message;
    } catch {
      serverMessage = text.slice(0, 200);
    }
  } catch {}
  const status = response.status;
  let code: ClientErrorCode;
  if (status === 401) code = 'LIVELOG_CLIENT_ERR_UNAUTHORIZED';
  else if (status === 403) code = 'LIVELOG_CLIENT_ERR_FORBIDDEN';
  else if (status === 404 && serverCode === 'LIVELOG_ERR_STREAM_NOT_FOUND') code = 'LIVELOG_CLIENT_ERR_STREAM_NOT_FOUND';
  else if (status >= 400 && status < 500 && status !== 408 && status !== 429) code = 'LIVELOG_CLIENT_ERR_BAD_REQUEST';
  else code = 'LIVELOG_CLIENT_ERR_HTTP';
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  const message = `HTTP ${status}${serverCode === undefined ? '' : ` ${serverCode}`}${serverMessage === '' ? '' : `: ${serverMessage}`}`;
  return new LivelogClientError(code, message, {
    status,
    ...(serverCode === undefined ? {} : { serverCode }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/** Retry-After in ms: delta-seconds or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^[0-9]+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The stream URL of a connection. A reconnect (`resumed`) resumes by its Last-Event-ID header; should
 * the server not know that position (its data was wiped), it answers `reset` and starts at its oldest
 * entry (`from=start`): everything in a new stream is new to this reader. A first connection sends
 * the caller's start as the fallback of any cursor in the header.
 */
export function streamUrl(options: Pick<OpenStreamOptions, 'url' | 'start' | 'filter' | 'stream' | 'until'>, resumed: boolean): string {
  const params = new URLSearchParams();
  if (resumed) {
    params.set('from', 'start');
  } else {
    const start = options.start ?? {};
    if (start.since !== undefined) params.set('since', start.since instanceof Date ? String(start.since.getTime()) : String(start.since));
    if (start.tail !== undefined) params.set('tail', String(start.tail));
    if (start.fromStart === true) params.set('from', 'start');
  }
  // Every connection carries the end, a resumed one too.
  const until = options.until;
  if (until !== undefined) params.set('until', until instanceof Date ? String(until.getTime()) : String(until));
  addFilterParams(params, options.filter);
  return apiUrl(options.url, 'stream', params, options.stream);
}

/**
 * The error a server's `close` event stands for: fatal when its reason is not retryable. `ended` and
 * `until` are not errors (the stream finished, or the reader has everything up to its `until`).
 * `retryAfterMs`: the least wait before reconnecting, for a stream refused before it began.
 */
export function errorOfClose(close: CloseEvent, retryAfterMs?: number): LivelogClientError | undefined {
  if (close.reason === 'ended' || close.reason === 'until') return undefined;
  if (close.reason === 'deleted') {
    return new LivelogClientError('LIVELOG_CLIENT_ERR_STREAM_DELETED', 'the stream was deleted on the server', { fatal: true });
  }
  const retryable = close.retryable ?? isRetryableClose(close.reason);
  const code: ClientErrorCode =
    close.reason === 'unauthorized'
      ? 'LIVELOG_CLIENT_ERR_UNAUTHORIZED'
      : close.reason === 'forbidden'
        ? 'LIVELOG_CLIENT_ERR_FORBIDDEN'
        : 'LIVELOG_CLIENT_ERR_SERVER_CLOSED';
  return new LivelogClientError(code, `the server closed the stream (${close.reason})`, {
    fatal: !retryable,
    ...(retryable && retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/**
 * GETs `url` as JSON with the options' auth and fetch: a failed request is `LIVELOG_CLIENT_ERR_NETWORK`
 * (`<what> request failed: …`), a non-2xx answer the error errorOfAnswer makes of it.
 */
export async function getJsonReply<T>(options: ServerOptions & { signal?: AbortSignal }, url: string, what: string): Promise<T> {
  let response: Response;
  try {
    response = await fetchOf(options)(url, {
      headers: requestHeaders(options, { accept: 'application/json' }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    throw new LivelogClientError('LIVELOG_CLIENT_ERR_NETWORK', `${what} request failed: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok) throw await errorOfAnswer(response);
  return (await response.json()) as T;
}
