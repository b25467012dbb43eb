import type { ErrorBody, IngestReply } from '@livelog/protocol';
import { parseRetryAfter } from './backoff.js';
import type { ResolvedShipperOptions } from './shipper-options.js';

/** What one request of a batch came to. */
export type PostOutcome =
  | ({ kind: 'acknowledged'; replayed: boolean } & IngestReply)
  /** Worth another attempt with the same key and body: network error, timeout, 408, 429, 5xx. */
  | { kind: 'retry'; status?: number; code?: string; message: string; retryAfterMs?: number }
  /** The server refused the batch and will refuse it again; nothing of it was stored. */
  | { kind: 'rejected'; status: number; code?: string; message: string; line?: number };

/** The request of one attempt. */
export interface BatchRequest {
  key: string;
  source: string | undefined;
  body: string;
}

/**
 * Sends one attempt of a batch. Never throws: every failure is an outcome. `signal` aborts the
 * attempt from outside (a close deadline); `requestTimeoutMs` bounds it from inside.
 */
export async function postBatch(options: ResolvedShipperOptions, request: BatchRequest, signal?: AbortSignal): Promise<PostOutcome> {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  if (signal?.aborted) return { kind: 'retry', message: 'aborted before sending' };
  signal?.addEventListener('abort', abort, { once: true });
  const timer = setTimeout(abort, options.requestTimeoutMs);
  const url = request.source === undefined ? options.endpoint : `${options.endpoint}?source=${encodeURIComponent(request.source)}`;
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson', 'idempotency-key': request.key };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  try {
    // A redirected POST may come back as a GET (301/302); a shipper must not guess where its data went.
    const response = await options.fetch(url, {
      method: 'POST',
      headers,
      body: request.body,
      signal: controller.signal,
      redirect: 'manual',
    });
    const text = await response.text();
    return outcomeOf(response.status, text, response.headers);
  } catch (error) {
    const timedOut = controller.signal.aborted && !signal?.aborted;
    return { kind: 'retry', message: timedOut ? `no answer within ${options.requestTimeoutMs} ms` : describeNetworkError(error) };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', abort);
  }
}

function outcomeOf(status: number, text: string, headers: Headers): PostOutcome {
  const body = parseJson(text);
  if (status >= 200 && status < 300) {
    const reply = body as { [K in keyof IngestReply]?: unknown } | undefined;
    if (typeof reply?.accepted === 'number' && typeof reply.firstId === 'string' && typeof reply.lastId === 'string') {
      return {
        kind: 'acknowledged',
        accepted: reply.accepted,
        firstId: reply.firstId,
        lastId: reply.lastId,
        replayed: headers.get('idempotent-replayed') === 'true',
      };
    }
    return { kind: 'rejected', status, message: `answer ${status} is not a livelog ingest reply; is the URL a livelog server?` };
  }
  const error = (body as Partial<ErrorBody> | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(headers.get('retry-after'));
    return {
      kind: 'retry',
      status,
      message,
      ...(code === undefined ? {} : { code }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  const line = typeof error?.line === 'number' ? error.line : undefined;
  return { kind: 'rejected', status, message, ...(code === undefined ? {} : { code }), ...(line === undefined ? {} : { line }) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const detail = cause instanceof Error ? `: ${(cause as { code?: string }).code ?? cause.message}` : '';
  return `${error.message}${detail}`;
}
