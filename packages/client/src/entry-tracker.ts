import { decodeCursor, type LogEntry } from '@livelog/protocol';
import type { StatsCounter } from './stream-stats.js';

/**
 * Checks the order of what a reader receives, by seq within one stream: every delivered entry must
 * be after the position already reached. It is the reader's own proof of exactly-once and in order;
 * against a correct server it never drops anything.
 */
export class EntryTracker {
  readonly #stats: StatsCounter;
  /** On a filtered stream seqs legitimately jump, so jumps prove nothing. */
  readonly #filtered: boolean;
  #stream: string | undefined;
  /** The last position reached: the seq of the last entry delivered, skipped (id-only) or gapped. */
  #seq = 0;
  /** The position the current connection's `hello` started from. */
  #helloSeq = 0;

  constructor(stats: StatsCounter, filtered: boolean) {
    this.#stats = stats;
    this.#filtered = filtered;
  }

  /** A connection started at `id` (its hello's id). */
  hello(id: string): void {
    const decoded = decodeCursor(id);
    if (!decoded.ok) return;
    const { stream, seq } = decoded.cursor;
    this.#helloSeq = seq;
    if (this.#stream !== stream) {
      this.#stream = stream;
      this.#seq = seq;
    } else if (seq > this.#seq) {
      if (!this.#filtered) this.#stats.missing += seq - this.#seq;
      this.#seq = seq;
    }
  }

  /** The position was unusable and the stream restarted where hello said; earlier seqs may come again as new entries. */
  reset(): void {
    this.#seq = this.#helloSeq;
  }

  /** A gap event: everything up to `toSeq` is gone, reported. */
  gap(toSeq: number): void {
    if (toSeq > this.#seq) this.#seq = toSeq;
  }

  /** The cursor moved without an entry (an id-only event past filtered entries). */
  advance(id: string): void {
    const decoded = decodeCursor(id);
    if (!decoded.ok || decoded.cursor.stream !== this.#stream) return;
    if (decoded.cursor.seq > this.#seq) {
      if (!this.#filtered) this.#stats.missing += decoded.cursor.seq - this.#seq;
      this.#seq = decoded.cursor.seq;
    }
  }

  /** True when `entry` is next in order and should be delivered; counts and refuses anything else. */
  accept(entry: LogEntry): boolean {
    const seq = entry.seq;
    if (this.#stream === undefined) {
      // A relayed entry before any hello (a follower tab joining): take the stream from its id.
      const decoded = decodeCursor(entry.id);
      if (decoded.ok) this.#stream = decoded.cursor.stream;
      this.#seq = seq;
      return true;
    }
    if (seq === this.#seq) {
      this.#stats.duplicates++;
      return false;
    }
    if (seq < this.#seq) {
      this.#stats.outOfOrder++;
      return false;
    }
    if (!this.#filtered && seq > this.#seq + 1) this.#stats.missing += seq - this.#seq - 1;
    this.#seq = seq;
    return true;
  }
}
