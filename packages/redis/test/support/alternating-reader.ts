import type { LogEntry, ResetEvent } from '@livelog/protocol';
import { openSse, type SseConnection } from '@livelog/test-utils';

/** Options of an alternating reader. */
export interface AlternatingReaderOptions {
  /** Base URLs of the instances; each reconnect goes to the next one. */
  bases: readonly string[];
  /** Query of the first connection, e.g. `?from=start`. */
  firstQuery?: string;
  /** Query of every connection, as an EventSource keeps its URL; wins over `firstQuery`. */
  query?: string;
  /** After each connect, cut the connection after this many ms (undefined: never cut). */
  cutAfterMs?: () => number | undefined;
  /** After each connect, cut the connection once it delivered this many entries. */
  cutAfterEntries?: () => number;
}

/**
 * An SSE reader that, each time its connection ends (cut by the test, by a killed instance, or by
 * an error), reconnects to the next instance with the last event id it holds, as an EventSource
 * behind a load balancer would. It records every entry's seq to check exactly-once, in order.
 */
export class AlternatingReader {
  readonly seqs: number[] = [];
  /** Ids of the entries received, in order. */
  readonly ids: string[] = [];
  readonly resets: ResetEvent[] = [];
  readonly gaps: unknown[] = [];
  lastEventId = '';
  connections = 0;
  /** Entries whose SSE `id:` was not the id inside their data. */
  mismatchedIds = 0;
  /** Connections that delivered a `hello`, per instance index. */
  readonly helloBy: number[];
  readonly #options: AlternatingReaderOptions;
  #connection: SseConnection | undefined;
  #timer: NodeJS.Timeout | undefined;
  #cutTimer: NodeJS.Timeout | undefined;
  #running = false;
  #next = 0;

  constructor(options: AlternatingReaderOptions) {
    this.#options = options;
    this.helloBy = options.bases.map(() => 0);
  }

  get lastSeq(): number {
    return this.seqs.length === 0 ? 0 : (this.seqs[this.seqs.length - 1] as number);
  }

  start(): this {
    this.#running = true;
    this.#connect();
    return this;
  }

  /** Cuts the current connection now; the reader moves on to the next instance. */
  cut(): void {
    this.#connection?.close();
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    clearTimeout(this.#cutTimer);
    this.#connection?.close();
  }

  /** Seqs missing from 1..expected, repeated, or out of order. */
  check(expected: number): { missing: number; duplicates: number; reordered: number; extra: number } {
    let duplicates = 0;
    let reordered = 0;
    let extra = 0;
    const seen = new Set<number>();
    let previous = 0;
    for (const seq of this.seqs) {
      if (seen.has(seq)) duplicates++;
      else if (seq < previous) reordered++;
      if (seq > expected) extra++;
      seen.add(seq);
      previous = Math.max(previous, seq);
    }
    let missing = 0;
    for (let seq = 1; seq <= expected; seq++) if (!seen.has(seq)) missing++;
    return { missing, duplicates, reordered, extra };
  }

  #connect(): void {
    if (!this.#running) return;
    const index = this.#next;
    this.#next = (this.#next + 1) % this.#options.bases.length;
    this.connections++;
    const headers: Record<string, string> = {};
    let url = `${this.#options.bases[index]}/api/stream`;
    if (this.#options.query !== undefined) url += this.#options.query;
    else if (this.lastEventId === '') url += this.#options.firstQuery ?? '';
    if (this.lastEventId !== '') headers['last-event-id'] = this.lastEventId;
    let budget = this.#options.cutAfterEntries?.() ?? Number.POSITIVE_INFINITY;
    const connection = openSse(url, headers, {
      onEvent: (message) => {
        if (this.#connection !== connection) return;
        this.lastEventId = message.lastEventId;
        if (message.type === 'message') {
          const entry = JSON.parse(message.data) as LogEntry;
          this.seqs.push(entry.seq);
          this.ids.push(entry.id);
          if (message.lastEventId !== entry.id) this.mismatchedIds++;
          if (--budget <= 0) connection.close();
        } else if (message.type === 'hello') this.helloBy[index] = (this.helloBy[index] ?? 0) + 1;
        else if (message.type === 'reset') this.resets.push(JSON.parse(message.data) as ResetEvent);
        else if (message.type === 'gap') this.gaps.push(JSON.parse(message.data));
      },
      onIdOnly: (id) => {
        if (this.#connection === connection) this.lastEventId = id;
      },
      onEnd: () => {
        if (this.#connection !== connection || !this.#running) return;
        clearTimeout(this.#cutTimer);
        // A refused connection (instance down) moves on at once; the pause only avoids a hot loop.
        this.#timer = setTimeout(() => this.#connect(), 5);
      },
    });
    this.#connection = connection;
    const cutAfter = this.#options.cutAfterMs?.();
    if (cutAfter !== undefined) this.#cutTimer = setTimeout(() => connection.close(), cutAfter);
  }
}
