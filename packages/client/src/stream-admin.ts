import type { EndInfo, StreamInfo, StreamList } from '@livelog/protocol';
import { LivelogClientError } from './errors.js';
import { apiUrl, errorOfAnswer, fetchOf, requestHeaders, type ServerOptions, streamPath } from './http-request.js';

export type { EndInfo, StreamInfo, StreamList } from '@livelog/protocol';

/** What every stream request but the reader's takes besides the URL: auth, headers, fetch, abort. */
export interface RequestOptions extends Omit<ServerOptions, 'url' | 'stream'> {
  signal?: AbortSignal;
}

/** How a stream ended: the writer's exit code and/or a reason, both optional. */
export interface EndStreamOptions {
  /** An integer, -2^31..2^31-1: the job's exit code (`0` for success). */
  exitCode?: number;
  /** Up to 1,024 characters, e.g. `signal SIGTERM` or `cancelled by alice`. */
  reason?: string;
}

/** The answer of `POST /api/streams/{name}/end`. */
export interface EndStreamReply {
  /** Id of the stream's last entry (`<identity>:0` for an empty stream): the `end` event's id. */
  lastId: string;
  end: EndInfo;
}

/** Which streams `listStreams` asks for. */
export interface ListStreamsQuery {
  /** Only names starting with this. */
  prefix?: string;
  /** Only streams carrying every one of these labels (`key: value`). */
  labels?: Readonly<Record<string, string>>;
  /** `name` (ascending, the server's default) or `recent` (last activity first). */
  order?: 'name' | 'recent';
  /** Streams per page, 1..1,000. Defaults to the server's 100. */
  limit?: number;
  /** The `next` of the page before: continue after it. */
  after?: string;
}

/**
 * Ends the stream `name` (`POST /api/streams/{name}/end`): its readers get every line, then an `end`
 * event with this exit code and reason, and stop; later writes are refused with 409. Needs the
 * `ingest` scope. Throws a TypeError for a bad name, and LivelogClientError for answers: 409
 * (`serverCode` `LIVELOG_ERR_STREAM_ENDED`) when the stream had already ended, 400
 * (`LIVELOG_ERR_STREAM_BAD_END`) for a bad exit code or reason, 401/403 for auth,
 * `LIVELOG_CLIENT_ERR_NETWORK` when no answer came (the end may or may not have been stored).
 * @example
 * await endStream('http://127.0.0.1:7600', 'build-1234', { exitCode: 0 }, { token });
 * @see ../../../docs/reference/http-api.md
 */
export async function endStream(
  url: string,
  name: string,
  end: EndStreamOptions = {},
  options: RequestOptions = {},
): Promise<EndStreamReply> {
  const target = apiUrl(url, 'end', new URLSearchParams(), name);
  const body: EndStreamOptions = {};
  if (end.exitCode !== undefined) body.exitCode = end.exitCode;
  if (end.reason !== undefined) body.reason = end.reason;
  return (await request(target, options, 'end', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })) as EndStreamReply;
}

/**
 * One page of the server's streams (`GET /api/streams`): name, labels, state (`open`/`ended`), first
 * and last seq and time, entries, bytes, readers. Only the streams the token may read are listed.
 * Page on with `after: page.next` while `next` is set.
 * @example
 * for (let page = await listStreams(url, { prefix: 'ci-' }); ; page = await listStreams(url, { prefix: 'ci-', after: page.next })) {
 *   for (const stream of page.streams) console.log(stream.name, stream.state);
 *   if (page.next === undefined) break;
 * }
 * @see ../../../docs/reference/http-api.md
 */
export async function listStreams(url: string, query: ListStreamsQuery = {}, options: RequestOptions = {}): Promise<StreamList> {
  const params = new URLSearchParams();
  if (query.prefix !== undefined && query.prefix !== '') params.set('prefix', query.prefix);
  for (const [key, value] of Object.entries(query.labels ?? {})) params.append('label', `${key}:${value}`);
  if (query.order !== undefined) params.set('order', query.order);
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  if (query.after !== undefined) params.set('after', query.after);
  return (await request(apiUrl(url, 'streams', params), options, 'list', {})) as StreamList;
}

/**
 * The stream `name` (`GET /api/streams/{name}`): its labels, state, window, counters and end. Throws
 * LivelogClientError `LIVELOG_CLIENT_ERR_STREAM_NOT_FOUND` when there is none (yet), 401/403 for auth.
 */
export async function fetchStreamInfo(url: string, name: string, options: RequestOptions = {}): Promise<StreamInfo> {
  return (await request(streamResourceUrl(url, name), options, 'stream info', {})) as StreamInfo;
}

/** The URL of the stream `name` itself (`/api/streams/{name}`), for GET, PUT and DELETE. */
export function streamResourceUrl(url: string, name: string): string {
  const path = streamPath(name, '');
  return `${url.replace(/\/+$/, '')}/api/${path.slice(0, -1)}`;
}

/** What `setStream` sets: labels (ingest scope) and a retention override (admin scope). */
export interface SetStreamOptions {
  labels?: Readonly<Record<string, string>>;
  retention?: { maxEntries?: number; maxBytes?: number; maxAgeMs?: number };
}

/**
 * Creates the stream `name` or updates its labels and retention (`PUT /api/streams/{name}`), e.g. to
 * open a job's stream before its first line so readers can attach at once. Resolves to its StreamInfo.
 */
export async function setStream(
  url: string,
  name: string,
  settings: SetStreamOptions = {},
  options: RequestOptions = {},
): Promise<StreamInfo> {
  return (await request(streamResourceUrl(url, name), options, 'stream update', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(settings),
  })) as StreamInfo;
}

/**
 * Deletes the stream `name` (`DELETE /api/streams/{name}`, admin scope): its entries are gone and its
 * readers get `reset` and a terminal close. Resolves true when it was deleted, false when it did not
 * exist (404).
 */
export async function deleteStream(url: string, name: string, options: RequestOptions = {}): Promise<boolean> {
  try {
    await request(streamResourceUrl(url, name), options, 'delete', { method: 'DELETE' });
    return true;
  } catch (error) {
    if (error instanceof LivelogClientError && error.code === 'LIVELOG_CLIENT_ERR_STREAM_NOT_FOUND') return false;
    throw error;
  }
}

async function request(url: string, options: RequestOptions, what: string, init: RequestInit): Promise<unknown> {
  const server: ServerOptions = { url, ...options };
  let response: Response;
  try {
    response = await fetchOf(server)(url, {
      ...init,
      headers: requestHeaders(server, { accept: 'application/json', ...(init.headers as Record<string, string> | undefined) }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    throw new LivelogClientError('LIVELOG_CLIENT_ERR_NETWORK', `${what} request failed: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok) throw await errorOfAnswer(response);
  if (response.status === 204) return undefined;
  return response.json();
}
