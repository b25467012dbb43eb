/** One SSE event. Fields left undefined are not written. */
export interface SseEvent {
  id?: string;
  event?: string;
  /** Text; each line becomes one `data:` field. */
  data?: string;
  /** Reconnection time in ms the client should use. */
  retry?: number;
}

// A CR, LF or NUL in `id` or `event` would end the field early and inject fields of the attacker's
// choosing into the stream (CWE-93); the WHATWG parser also ignores an id holding NUL.
const FIELD_BREAKERS = /[\r\n\0]/;

/**
 * SSE text for one event, ending with the blank line that dispatches it. Pure; throws TypeError for
 * an `id` or `event` holding CR, LF or NUL and for a negative or fractional `retry`.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export function encodeEvent(event: SseEvent): string {
  let out = '';
  if (event.event !== undefined) {
    if (FIELD_BREAKERS.test(event.event)) throw new TypeError('SSE event name must not contain CR, LF or NUL');
    out += `event: ${event.event}\n`;
  }
  if (event.id !== undefined) {
    if (FIELD_BREAKERS.test(event.id)) throw new TypeError('SSE id must not contain CR, LF or NUL');
    out += `id: ${event.id}\n`;
  }
  if (event.retry !== undefined) {
    if (!Number.isSafeInteger(event.retry) || event.retry < 0) throw new TypeError('SSE retry must be a non-negative integer');
    out += `retry: ${event.retry}\n`;
  }
  if (event.data !== undefined) {
    for (const line of event.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  }
  return `${out}\n`;
}

/**
 * An SSE comment (ignored by clients; keeps proxies from timing the connection out): one line and
 * no blank line after it. Per WHATWG a blank line dispatches an event, and although a spec client
 * dispatches nothing for an empty data buffer, clients that split the stream at blank lines do:
 * `@microsoft/fetch-event-source` calls `onmessage` with empty data after `:\n\n`, once per
 * heartbeat. Comments are only written between events, where the parser holds nothing to end.
 */
export function encodeComment(text = ''): string {
  if (FIELD_BREAKERS.test(text)) throw new TypeError('SSE comment must not contain CR, LF or NUL');
  return text === '' ? ':\n' : `: ${text}\n`;
}

/**
 * The frame of one entry: `id:` and one `data:` line. `json` comes from JSON.stringify, which escapes
 * every CR and LF, so it is one line; `id` comes from encodeCursor, which allows neither.
 */
export function encodeEntryFrame(id: string, json: string): string {
  return `id: ${id}\ndata: ${json}\n\n`;
}

/** An event with only an id: moves the reader's Last-Event-ID past skipped entries, dispatches nothing. */
export function encodeIdOnly(id: string): string {
  return `id: ${id}\n\n`;
}
