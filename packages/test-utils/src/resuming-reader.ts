import type { GapEvent, HelloEvent, LogEntry, ResetEvent } from '@livelog/protocol';
import { openSse, type SseConnection } from './sse-connection.js';

/** Options of a resuming reader. */
export interface ResumingReaderOptions {
  /** Stream URL, query included (`http://…/api/stream?from=start`). */
  url: string;
  headers?: Record<string, string>;
  /** Pause before each reconnect, in ms. Defaults to none. */
  pauseMs?: () => number;
  /** Keep every entry object (memory!), not only seqs. Defaults to false. */
  keepEntries?: boolean;
  /** Send the cursor as `?lastEventId=` instead of the header, like polyfills do. */
  cursorInQuery?: boolean;
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
  lastEventId = '';
  /** Connections opened, the first one included. */
  connections = 0;
  readonly #options: ResumingReaderOptions;
  #connection: SseConnection | undefined;
  #running = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ResumingReaderOptions) {
    this.#options = options;
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
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#connection?.close();
  }

  /** Seqs that are missing, repeated or out of order, compared with 1..expected. */
  check(expected: number): { missing: number; duplicates: number; reordered: number } {
    let duplicates = 0;
    let reordered = 0;
    const seen = new Set<number>();
    let previous = 0;
    for (const seq of this.seqs) {
      if (seen.has(seq)) duplicates++;
      else if (seq < previous) reordered++;
      seen.add(seq);
      previous = Math.max(previous, seq);
    }
    let missing = 0;
    for (let seq = 1; seq <= expected; seq++) if (!seen.has(seq)) missing++;
    return { missing, duplicates, reordered };
  }

  #connect(): void {
    if (!this.#running) return;
    this.connections++;
    let url = this.#options.url;
    const headers = { ...this.#options.headers };
    if (this.lastEventId !== '') {
      if (this.#options.cursorInQuery) url += `${url.includes('?') ? '&' : '?'}lastEventId=${encodeURIComponent(this.lastEventId)}`;
      else headers['last-event-id'] = this.lastEventId;
    }
    const connection = openSse(url, headers, {
      onEvent: (message) => {
        this.lastEventId = message.lastEventId;
        if (message.type === 'message') {
          const entry = JSON.parse(message.data) as LogEntry;
          this.seqs.push(entry.seq);
          if (this.#options.keepEntries) this.entries.push(entry);
        } else if (message.type === 'gap') this.gaps.push(JSON.parse(message.data) as GapEvent);
        else if (message.type === 'reset') this.resets.push(JSON.parse(message.data) as ResetEvent);
        else if (message.type === 'hello') this.hellos.push(JSON.parse(message.data) as HelloEvent);
        else if (message.type === 'close') this.closeReasons.push((JSON.parse(message.data) as { reason: string }).reason);
      },
      onIdOnly: (id) => {
        this.lastEventId = id;
      },
      onEnd: (error) => {
        if (error !== undefined) this.errors.push(error);
        if (this.#connection !== connection || !this.#running) return;
        const pause = this.#options.pauseMs?.() ?? 0;
        this.#timer = setTimeout(() => this.#connect(), pause);
      },
    });
    this.#connection = connection;
  }
}
