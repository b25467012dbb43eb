/** One dispatched SSE event. */
export interface SseMessage {
  /** `message` for unnamed events. */
  type: string;
  data: string;
  /** The stream's last event ID after this event, as a browser's EventSource would hold it. */
  lastEventId: string;
}

export interface SseParserHandlers {
  onEvent(message: SseMessage): void;
  /** An event with an id but no data: the last event ID moved, nothing was dispatched. */
  onIdOnly?(lastEventId: string): void;
  onComment?(text: string): void;
  onRetry?(ms: number): void;
}

/**
 * An SSE parser that follows the WHATWG interpretation rules to the letter, including the ones
 * common libraries leave out and our tests must see: an id-only event moves the last event ID without
 * dispatching; an event cut before its blank line is never dispatched and never moves the ID; CR, LF
 * and CRLF all end lines, even when a CRLF is split across chunks.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export class SseParser {
  readonly #handlers: SseParserHandlers;
  readonly #decoder = new TextDecoder('utf-8');
  #pending = '';
  #sawCr = false;
  #data = '';
  #eventType = '';
  #idBuffer = '';
  #first = true;
  lastEventId = '';

  /**
   * @param lastEventId the ID the connection resumes from: as in EventSource, the last event ID
   * persists across reconnects, so an event without `id:` on the new connection keeps it.
   */
  constructor(handlers: SseParserHandlers, lastEventId = '') {
    this.#handlers = handlers;
    this.lastEventId = lastEventId;
    this.#idBuffer = lastEventId;
  }

  feed(chunk: Uint8Array | string): void {
    let text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    if (this.#first && text.length > 0) {
      this.#first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === 10 && this.#sawCr && i === start) {
        // The LF of a CRLF whose CR ended the previous line.
        this.#sawCr = false;
        start = i + 1;
        continue;
      }
      this.#sawCr = false;
      if (code === 10 || code === 13) {
        this.#line(this.#pending + text.slice(start, i));
        this.#pending = '';
        this.#sawCr = code === 13;
        start = i + 1;
      }
    }
    this.#pending += text.slice(start);
  }

  #line(line: string): void {
    if (line === '') {
      this.#dispatch();
      return;
    }
    if (line.startsWith(':')) {
      this.#handlers.onComment?.(line.slice(1).replace(/^ /, ''));
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#eventType = value;
    else if (field === 'data') this.#data += `${value}\n`;
    else if (field === 'id') {
      if (!value.includes('\0')) this.#idBuffer = value;
    } else if (field === 'retry') {
      if (/^\d+$/.test(value)) this.#handlers.onRetry?.(Number(value));
    }
  }

  #dispatch(): void {
    this.lastEventId = this.#idBuffer;
    if (this.#data === '') {
      this.#eventType = '';
      this.#handlers.onIdOnly?.(this.lastEventId);
      return;
    }
    const data = this.#data.endsWith('\n') ? this.#data.slice(0, -1) : this.#data;
    const type = this.#eventType === '' ? 'message' : this.#eventType;
    this.#data = '';
    this.#eventType = '';
    this.#handlers.onEvent({ type, data, lastEventId: this.lastEventId });
  }
}
