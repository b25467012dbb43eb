import { CLOSE_REASONS, type CloseReason, EVENT_NAMES, formatId, type GapEvent, type LagEvent, type LogEntry } from '@livelog/protocol';
import { compileFilter, type EntryFilter, isEmptyFilter } from '../entry/entry-filter.js';
import { encodeComment, encodeEntryFrame, encodeEvent, encodeIdOnly } from '../sse/encode-event.js';
import type { SseSink } from '../sse/sse-sink.js';
import { yieldToEventLoop } from '../store/chunked-scan.js';
import type { LogStore, StoredEntry } from '../store/log-store.js';
import type { FrameRing } from './frame-ring.js';

/** What a subscription needs from its broker. */
export interface SubscriptionContext {
  readonly store: LogStore;
  readonly ring: FrameRing;
  /** Newest seq the broker knows to be durable. */
  head(): number;
  readonly pageSize: number;
  readonly maxWriteBytes: number;
  readonly lagThreshold: number;
  readonly lagIntervalMs: number;
  onDelivered(entries: number): void;
  onGap(missed: number): void;
  onClosed(subscription: Subscription): void;
}

/**
 * One reader: nothing but a cursor into the store and a socket to write to.
 *
 * Invariant: the reader receives exactly the entries with seq > cursor, in seq order, each once.
 * Catch-up and live delivery are the same loop: read from the cursor (the hot ring when it holds the
 * cursor, else the store, in pages), write, advance the cursor to the last entry written or skipped.
 * There is no queue per reader to overflow and no replay-to-live hand-off to race: an entry appended
 * at any moment is either at or before the head the loop compares against next, or it wakes the loop.
 *
 * Backpressure waits, it never drops: when the socket's buffer is full the loop stops and resumes on
 * `drain`; the broker disconnects a reader whose socket stays full past the stall limit, and it
 * resumes by Last-Event-ID.
 */
export class Subscription {
  readonly #context: SubscriptionContext;
  readonly #sink: SseSink;
  readonly #stream: string;
  readonly #matches: ((entry: LogEntry) => boolean) | undefined;
  #cursor: number;
  #pumping = false;
  #wakeAgain = false;
  #waitingSince = 0;
  #lastWriteAt = Date.now();
  #lagAnnounced = false;
  #lastLagAt = 0;
  #closed = false;

  constructor(context: SubscriptionContext, sink: SseSink, stream: string, startSeq: number, filter?: EntryFilter) {
    this.#context = context;
    this.#sink = sink;
    this.#stream = stream;
    this.#cursor = startSeq;
    this.#matches = isEmptyFilter(filter) ? undefined : compileFilter(filter);
    sink.onceClose(() => this.#markClosed());
  }

  /** Seq of the last entry written or skipped. */
  get cursor(): number {
    return this.#cursor;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True while the socket is full and the loop waits for drain. */
  get waiting(): boolean {
    return this.#waitingSince !== 0;
  }

  /** Writes the opening events, then starts delivering. */
  start(preamble: string): void {
    this.#write([], preamble);
    this.wake();
  }

  /** Runs the delivery loop unless it is running or waiting for drain. Called on every append. */
  wake(): void {
    if (this.#closed || this.#waitingSince !== 0) return;
    if (this.#pumping) {
      // The loop may be on its way out (it saw a full socket, and Node can emit `drain` on the next
      // tick, before the loop's promise settles): make it look again rather than lose this wake-up.
      this.#wakeAgain = true;
      return;
    }
    this.#pumping = true;
    this.#pump().then(
      () => {
        this.#pumping = false;
        if (this.#wakeAgain) {
          this.#wakeAgain = false;
          this.wake();
        }
      },
      (error: unknown) => {
        this.#pumping = false;
        // A store that fails mid-stream: drop the connection so the reader resumes by cursor.
        this.destroy();
        queueMicrotask(() => {
          throw error;
        });
      },
    );
  }

  /** Writes a heartbeat comment when nothing was written for `intervalMs`. */
  heartbeat(now: number, intervalMs: number): void {
    if (this.#closed || this.#waitingSince !== 0 || now - this.#lastWriteAt < intervalMs) return;
    this.#write([], encodeComment());
  }

  /** True when the socket has been full for longer than `limitMs`. */
  isStalled(now: number, limitMs: number): boolean {
    return this.#waitingSince !== 0 && now - this.#waitingSince > limitMs;
  }

  /** Ends the stream with a `close` event saying why and whether to reconnect. */
  close(reason: CloseReason): void {
    if (this.#closed) return;
    const event = encodeEvent({
      event: EVENT_NAMES.close,
      data: JSON.stringify({ reason, retryable: CLOSE_REASONS[reason].retryable }),
    });
    this.#sink.write(event);
    this.#sink.end();
    this.#markClosed();
  }

  /** Drops the connection at once (nothing more can be written to a stalled socket). */
  destroy(): void {
    this.#sink.destroy();
    this.#markClosed();
  }

  async #pump(): Promise<void> {
    const { ring, store } = this.#context;
    while (!this.#closed && this.#waitingSince === 0) {
      const head = this.#context.head();
      if (this.#cursor >= head) {
        this.#announceCaughtUp();
        return;
      }
      const fromRing = ring.collect(this.#cursor + 1, this.#context.maxWriteBytes, this.#matches);
      if (fromRing !== undefined) {
        const trailer = fromRing.endsSkipped ? encodeIdOnly(this.#id(fromRing.lastSeq)) : '';
        this.#cursor = fromRing.lastSeq;
        this.#context.onDelivered(fromRing.written);
        this.#write(fromRing.buffers, trailer);
        continue;
      }
      const rows = await store.readAfter(this.#cursor, this.#context.pageSize);
      if (this.#closed) return;
      let text = '';
      const first = rows[0];
      if (first === undefined) {
        // Nothing after the cursor although the head is past it: retention removed the rest.
        const bounds = await store.bounds();
        if (this.#closed) return;
        if (bounds.first <= this.#cursor + 1) return;
        text += this.#gap(bounds.first - 1);
        this.#cursor = bounds.first - 1;
        this.#write([], text);
        continue;
      }
      // seqs are contiguous and never reused, so a hole before the first row was removed by retention.
      if (first.seq > this.#cursor + 1) text += this.#gap(first.seq - 1);
      text += this.#frames(rows);
      this.#cursor = (rows[rows.length - 1] as StoredEntry).seq;
      text += this.#lag(head);
      this.#write([], text);
      // A filter that matches little writes nothing and so never waits for drain: without this a
      // catch-up through a large store would run page after page in one turn of the event loop.
      await yieldToEventLoop();
    }
  }

  #frames(rows: readonly StoredEntry[]): string {
    let text = '';
    let written = 0;
    let endsSkipped = false;
    for (const row of rows) {
      if (this.#matches !== undefined) {
        row.entry ??= JSON.parse(row.json) as LogEntry;
        if (!this.#matches(row.entry)) {
          endsSkipped = true;
          continue;
        }
      }
      text += encodeEntryFrame(this.#id(row.seq), row.json);
      written++;
      endsSkipped = false;
    }
    if (endsSkipped) text += encodeIdOnly(this.#id((rows[rows.length - 1] as StoredEntry).seq));
    this.#context.onDelivered(written);
    return text;
  }

  #gap(toSeq: number): string {
    const fromSeq = this.#cursor + 1;
    const gap: GapEvent = {
      after: this.#id(this.#cursor),
      resumeAt: this.#id(toSeq),
      missed: toSeq - fromSeq + 1,
      fromSeq,
      toSeq,
      reason: 'retention',
    };
    this.#context.onGap(gap.missed);
    return encodeEvent({ event: EVENT_NAMES.gap, id: gap.resumeAt, data: JSON.stringify(gap) });
  }

  #lag(head: number): string {
    const behind = head - this.#cursor;
    const now = Date.now();
    if (behind < this.#context.lagThreshold || now - this.#lastLagAt < this.#context.lagIntervalMs) return '';
    this.#lagAnnounced = true;
    this.#lastLagAt = now;
    const lag: LagEvent = { behind };
    return encodeEvent({ event: EVENT_NAMES.lag, data: JSON.stringify(lag) });
  }

  #announceCaughtUp(): void {
    if (!this.#lagAnnounced) return;
    this.#lagAnnounced = false;
    const lag: LagEvent = { behind: 0 };
    this.#write([], encodeEvent({ event: EVENT_NAMES.lag, data: JSON.stringify(lag) }));
  }

  #id(seq: number): string {
    return formatId(this.#stream, seq);
  }

  /** Writes `buffers` then `text` as one chunk; starts waiting for drain when the socket is full. */
  #write(buffers: Buffer[], text: string): void {
    if (this.#closed) return;
    let chunk: Buffer | string;
    if (buffers.length === 0) {
      if (text === '') return;
      chunk = text;
    } else if (buffers.length === 1 && text === '') {
      chunk = buffers[0] as Buffer;
    } else {
      chunk = Buffer.concat(text === '' ? buffers : [...buffers, Buffer.from(text)]);
    }
    this.#lastWriteAt = Date.now();
    if (!this.#sink.write(chunk) && !this.#closed && this.#waitingSince === 0) {
      this.#waitingSince = this.#lastWriteAt;
      this.#sink.onceDrain(() => {
        this.#waitingSince = 0;
        this.wake();
      });
    }
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#context.onClosed(this);
  }
}
