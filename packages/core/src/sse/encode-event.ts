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

/*
 * Every event's `id:` line comes last, just before its blank line. WHATWG clients take an event's
 * id as their resume point only when the blank line dispatches it, so field order is theirs to ignore;
 * but some popular clients (`eventsource` 2, `extended-eventsource`, `@microsoft/fetch-event-source`)
 * take it as soon as they parse the id line. With the id first, a connection cut anywhere in the rest
 * of the event made them resume past an entry they never delivered; with it last, only a cut between
 * the id line's line feed and the blank line does. Frames built elsewhere (the store's SQL, the
 * ring's offsets, the ceiling bench) follow the same layout.
 */

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
  if (event.id !== undefined && FIELD_BREAKERS.test(event.id)) throw new TypeError('SSE id must not contain CR, LF or NUL');
  if (event.retry !== undefined) {
    if (!Number.isSafeInteger(event.retry) || event.retry < 0) throw new TypeError('SSE retry must be a non-negative integer');
    out += `retry: ${event.retry}\n`;
  }
  if (event.data !== undefined) {
    for (const line of event.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  }
  // Last: see the note above.
  if (event.id !== undefined) out += `id: ${event.id}\n`;
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
 * The frame of one entry: one `data:` line, then `id:` (last: see the note above encodeEvent). `json`
 * comes from JSON.stringify, which escapes every CR and LF, so it is one line; `id` comes from
 * encodeCursor, which allows neither.
 */
export function encodeEntryFrame(id: string, json: string): string {
  return `data: ${json}\nid: ${id}\n\n`;
}

/** An event with only an id: moves the reader's Last-Event-ID past skipped entries, dispatches nothing. */
export function encodeIdOnly(id: string): string {
  return `id: ${id}\n\n`;
}
