import { CLOSE_REASONS, type CloseEvent, type CloseReason, type EndEvent, EVENT_NAMES, type ResetEvent } from '@livelog/protocol';
import { encodeEvent } from './encode-event.js';

/**
 * The SSE text of the events that end a stream's response, shared by the broker and by routes that
 * answer without one: `end` (id: the stream's last entry, so a resume replays nothing), `reset`, and
 * `close` with its reconnect rule.
 */
export function encodeEndEvent(end: EndEvent): string {
  return encodeEvent({ event: EVENT_NAMES.end, id: end.lastId, data: JSON.stringify(end) });
}

export function encodeResetEvent(reset: ResetEvent): string {
  return encodeEvent({ event: EVENT_NAMES.reset, data: JSON.stringify(reset) });
}

export function encodeCloseEvent(reason: CloseReason): string {
  const close: CloseEvent = { reason, retryable: CLOSE_REASONS[reason].retryable };
  return encodeEvent({ event: EVENT_NAMES.close, data: JSON.stringify(close) });
}
