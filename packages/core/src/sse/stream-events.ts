import { CLOSE_REASONS, type CloseEvent, type CloseReason, type EndEvent, EVENT_NAMES, type ResetEvent } from '@livelog/protocol';
import { escapeUnicodeBreaks } from '../entry/encode-entry.js';
import { encodeComment, encodeEvent } from './encode-event.js';

/**
 * The SSE text of the events that end a stream's response, shared by the broker and by routes that
 * answer without one: `end` (id: the stream's last entry, so a resume replays nothing), `reset`, and
 * `close` with its reconnect rule.
 */
export function encodeEndEvent(end: EndEvent): string {
  // `reason` is the writer's free text (see escapeUnicodeBreaks).
  return encodeEvent({ event: EVENT_NAMES.end, id: end.lastId, data: escapeUnicodeBreaks(JSON.stringify(end)) });
}

export function encodeResetEvent(reset: ResetEvent): string {
  return encodeEvent({ event: EVENT_NAMES.reset, data: JSON.stringify(reset) });
}

/**
 * The `retry:` of a terminal `close`: a day. A browser's `EventSource` knows nothing of `close` and
 * reconnects after every response that ends; without this a page that does not handle `end` would
 * reconnect every 2 s forever and be told `end` again each time. Below 2^31 ms, which Node timers
 * (npm `eventsource`) would treat as 1 ms. Only a reader that received the `close` gets it, so a
 * reader cut before it reconnects as usual.
 */
export const TERMINAL_CLOSE_RETRY_MS = 86_400_000;

export function encodeCloseEvent(reason: CloseReason): string {
  const { retryable } = CLOSE_REASONS[reason];
  const close: CloseEvent = { reason, retryable };
  return encodeEvent({ event: EVENT_NAMES.close, ...(retryable ? {} : { retry: TERMINAL_CLOSE_RETRY_MS }), data: JSON.stringify(close) });
}

/**
 * A retryable refusal written as a stream instead of a 503, for a reader that asked for
 * `text/event-stream`: a browser's `EventSource` (and the npm `eventsource`) gives up for good on any
 * answer but 200 with that type, while after a stream that ends it reconnects with its Last-Event-ID
 * once `retry` ms have passed. No `id:`, so the reader's cursor stays where it was; the comment says
 * why to whoever reads the raw stream.
 */
export function encodeRefusal(reason: CloseReason, retryMs: number, message: string): string {
  const close: CloseEvent = { reason, retryable: true };
  return `${encodeComment(message.replace(/[\r\n\0]/g, ' '))}${encodeEvent({ event: EVENT_NAMES.close, retry: retryMs, data: JSON.stringify(close) })}`;
}
