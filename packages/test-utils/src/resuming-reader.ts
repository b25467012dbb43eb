import type { CloseEvent, EndEvent, GapEvent, HelloEvent, LogEntry, ResetEvent } from '@livelog/protocol';
import { checkSeqs, type SeqCheck } from './check-seqs.js';
import { openSse, type SseConnection } from './sse-connection.js';

/** Options of a resuming reader. */
export interface ResumingReaderOptions {
  /**
   * Stream URL, query included (`http://…/api/stream?from=start`). Several URLs (instances behind a
   * load balancer) are taken in turn, one per connection.
   */
  url: string | readonly string[];
  headers?: Record<string, string>;
  /** Pause before each reconnect, in ms. Defaults to none. */
  pauseMs?: () => number;
  /** Keep every entry object (memory!), not only seqs. Defaults to false. */
  keepEntries?: boolean;
  /** Send the cursor as `?lastEventId=` instead of the header, like polyfills do. */
  cursorInQuery?: boolean;
  /** After each connect, cut the connection after this many ms (undefined: never). */
  cutAfterMs?: () => number | undefined;
  /** After each connect, cut the connection once it delivered this many entries. */
  cutAfterEntries?: () => number;
}

/**
 * A reader that behaves like a browser's EventSource, minus its quirks: it keeps the last event ID
 * exactly as the WHATWG rules say and reconnects with it in `Last-Event-ID` whenever the connection
 * ends, for as long as it runs. It records what it saw so tests can assert exactly-once, in order.
 */
export class ResumingReader {
  readonly seqs: number[] = [];
  readonly entries: LogEntry[] = [];
  readonly gaps: GapEvent[] = [];
  readonly resets: ResetEvent[] = [];
  readonly hellos: HelloEvent[] = [];
  readonly errors: Error[] = [];
  readonly closeReasons: string[] = [];
  readonly ends: EndEvent[] = [];
  /**
   * Set once a `close` said not to retry (`ended`, `deleted`, `forbidden`…): the reader then stops,
   * as a client following the protocol does.
   */
  terminal: string | undefined;
  lastEventId = '';
  /** Connections opened, the first one included. */
  connections = 0;
  /** Connections that got a `hello`, per URL (one element for a single URL). */
  readonly hellosByUrl: number[];
  /** Entries whose SSE `id:` differed from the id inside their data (should stay 0). */
  mismatchedIds = 0;
  readonly #options: ResumingReaderOptions;
  readonly #urls: readonly string[];
  #connection: SseConnection | undefined;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #cutTimer: NodeJS.Timeout | undefined;

  constructor(options: ResumingReaderOptions) {
    this.#options = options;
    this.#urls = typeof options.url === 'string' ? [options.url] : options.url;
    this.hellosByUrl = this.#urls.map(() => 0);
  }

  /** True while the reader connects and reconnects: until `stop`, or a close that said not to retry. */
  get running(): boolean {
    return this.#running;
  }

  /** The highest seq seen so far (0 for none). */
  get lastSeq(): number {
    return this.seqs.length === 0 ? 0 : (this.seqs[this.seqs.length - 1] as number);
  }

  start(): this {
    this.#running = true;
    this.#connect();
    return this;
  }

  /** Drops the current connection from the client's side; the reader reconnects by itself. */
  cut(): void {
    this.#connection?.close();
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    clearTimeout(this.#cutTimer);
    this.#connection?.close();
  }

  /** Seqs that are missing from 1..expected, repeated, out of order, or beyond `expected`: see checkSeqs. */
  check(expected: number): SeqCheck {
    return checkSeqs(this.seqs, expected);
  }

  #connect(): void {
    if (!this.#running) return;
    const index = this.connections % this.#urls.length;
    this.connections++;
    let url = this.#urls[index] as string;
    const headers = { ...this.#options.headers };
    if (this.lastEventId !== '') {
      if (this.#options.cursorInQuery) url += `${url.includes('?') ? '&' : '?'}lastEventId=${encodeURIComponent(this.lastEventId)}`;
      else headers['last-event-id'] = this.lastEventId;
    }
    let budget = this.#options.cutAfterEntries?.() ?? Number.POSITIVE_INFINITY;
    const connection = openSse(
      url,
      headers,
      {
        onEvent: (message) => {
          if (this.#connection !== connection) return;
          this.lastEventId = message.lastEventId;
          if (message.type === 'message') {
            const entry = JSON.parse(message.data) as LogEntry;
            this.seqs.push(entry.seq);
            if (message.lastEventId !== entry.id) this.mismatchedIds++;
            if (this.#options.keepEntries) this.entries.push(entry);
            if (--budget <= 0) connection.close();
          } else if (message.type === 'gap') this.gaps.push(JSON.parse(message.data) as GapEvent);
          else if (message.type === 'reset') this.resets.push(JSON.parse(message.data) as ResetEvent);
          else if (message.type === 'hello') {
            this.hellos.push(JSON.parse(message.data) as HelloEvent);
            this.hellosByUrl[index] = (this.hellosByUrl[index] ?? 0) + 1;
          } else if (message.type === 'end') this.ends.push(JSON.parse(message.data) as EndEvent);
          else if (message.type === 'close') {
            const close = JSON.parse(message.data) as CloseEvent;
            this.closeReasons.push(close.reason);
            if (!close.retryable) this.terminal = close.reason;
          }
        },
        onIdOnly: (id) => {
          if (this.#connection === connection) this.lastEventId = id;
        },
        onEnd: (error) => {
          if (error !== undefined) this.errors.push(error);
          if (this.#connection !== connection || !this.#running) return;
          clearTimeout(this.#cutTimer);
          if (this.terminal !== undefined) {
            this.#running = false;
            return;
          }
          const pause = this.#options.pauseMs?.() ?? 0;
          this.#timer = setTimeout(() => this.#connect(), pause);
        },
      },
      // The last event ID persists across reconnects (an event without `id:` keeps it), as in EventSource.
      { lastEventId: this.lastEventId },
    );
    this.#connection = connection;
    const cutAfter = this.#options.cutAfterMs?.();
    if (cutAfter !== undefined) this.#cutTimer = setTimeout(() => connection.close(), cutAfter);
  }
}
