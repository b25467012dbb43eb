import { isStreamName, type LogEntry } from '@livelog/protocol';

/** Where a request goes: the console's server, stream and token. */
export interface ApiTarget {
  url: string;
  stream?: string | undefined;
  token?: string | undefined;
}

/** An answer other than 2xx: the server's code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/**
 * GETs `/api/<path>` (the stream's own route, `/api/streams/{name}/<path>`, for a named stream) and
 * parses the JSON. For the routes @livelog/client has no function for (histogram, seek, context).
 */
export async function getApiJson<T>(target: ApiTarget, path: string, params: URLSearchParams, signal?: AbortSignal): Promise<T> {
  const base = target.url.replace(/\/+$/, '');
  const stream = target.stream !== undefined && isStreamName(target.stream) ? `streams/${target.stream}/` : '';
  const query = params.toString();
  const response = await fetch(`${base}/api/${stream}${path}${query === '' ? '' : `?${query}`}`, {
    headers: { accept: 'application/json', ...(target.token ? { authorization: `Bearer ${target.token}` } : {}) },
    ...(signal === undefined ? {} : { signal }),
  });
  if (!response.ok) {
    let code: string | undefined;
    let message = `HTTP ${response.status}`;
    try {
      const body = (await response.json()) as { error?: { code?: string; message?: string } };
      code = body.error?.code;
      if (body.error?.message) message = body.error.message;
    } catch {}
    throw new ApiError(response.status, code, message);
  }
  return (await response.json()) as T;
}

/** `GET /api/histogram`: counts per time bucket per level. */
export interface HistogramAnswer {
  since: number;
  until: number;
  bucketMs: number;
  buckets: { start: number; counts: Partial<Record<string, number>> }[];
  partial?: boolean;
}

/** `GET /api/seek`: the first entry at or after a time. */
export interface SeekAnswer {
  id: string;
  seq: number;
  time: number;
}

/** `GET /api/logs?around=`: the lines around one, unfiltered. */
export interface AroundAnswer {
  entries: LogEntry[];
  anchor: string;
  hasBefore: boolean;
  hasAfter: boolean;
}
