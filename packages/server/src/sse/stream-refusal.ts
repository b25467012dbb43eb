import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { encodeRefusal, type LivelogError } from '@livelog/core';
import type { CloseReason } from '@livelog/protocol';
import { SSE_HEADERS } from './node-sse-sink.js';

/** The refusals a reader recovers from by waiting, and the `close` reason each is told as. */
const RETRYABLE: Readonly<Record<string, CloseReason>> = {
  LIVELOG_ERR_STREAM_TOO_MANY_READERS: 'busy',
  LIVELOG_ERR_SHUTTING_DOWN: 'shutdown',
  LIVELOG_ERR_STORE_UNAVAILABLE: 'unavailable',
};

/** A stream route's refusal, answered as a stream that says why and when to come back. */
export interface StreamRefusal {
  headers: OutgoingHttpHeaders;
  body: string;
}

/** True when the request asked for an SSE stream, as every EventSource does. */
export function acceptsEventStream(headers: IncomingHttpHeaders): boolean {
  return headers.accept?.toLowerCase().includes('text/event-stream') === true;
}

/**
 * How a stream route answers `error` to a reader that asked for `text/event-stream`, when waiting
 * fixes it: a browser's `EventSource` treats any other status than 200 as final and never comes back,
 * so a 503 at `--max-readers`, during a restart or while Redis is away would end the page's stream
 * for good. Instead: 200, a comment, and a retryable `close` with a `retry:`, after which every
 * EventSource reconnects with its Last-Event-ID. Busy and unavailable readers wait `retryMs` plus up
 * to as much again at random, so that refused readers do not all come back in the same instant.
 * `Retry-After` is there for clients that read it. Undefined for any other error or request: those get
 * the JSON error.
 */
export function streamRefusal(error: LivelogError, headers: IncomingHttpHeaders, retryMs: number): StreamRefusal | undefined {
  const reason = RETRYABLE[error.code];
  if (reason === undefined || !acceptsEventStream(headers)) return undefined;
  const wait = reason === 'shutdown' ? retryMs : retryMs + Math.floor(Math.random() * (retryMs + 1));
  return {
    headers: { ...SSE_HEADERS, 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) },
    body: encodeRefusal(reason, wait, `${error.code}: ${error.message}`),
  };
}
