import type { LogEntry } from '@livelog/protocol';

/**
 * Lines per second written to the log while this reader watches it, over a sliding window.
 *
 * Only live arrivals count: the entries a stream brings with a seq above the head its `hello` named
 * (`since`). The tail a stream starts with, the replay after a reconnect, a resume after a reload and
 * history pages are all at or below that head, so a load or a filter change no longer shows as a burst
 * of hundreds of lines a second. While the connection is not live, nothing is known: `perSecond` is 0
 * until the next `hello`, whose catch-up does not count either.
 */
export class LineRate {
  readonly #windowMs: number;
  #samples: { at: number; count: number }[] = [];
  /** Seq of the head when the current connection said hello; undefined while not connected. */
  #head: number | undefined;
  /** When the current connection said hello: the window never reaches before it. */
  #since = 0;

  constructor(windowMs = 5000) {
    this.#windowMs = windowMs;
  }

  /** A connection said hello with `head` as the newest seq: lines after it are live arrivals. */
  since(head: number, now = Date.now()): void {
    this.#head = head;
    this.#since = now;
    this.#samples = [];
  }

  /** The connection was lost: no rate until the next hello. */
  stop(): void {
    this.#head = undefined;
    this.#samples = [];
  }

  /** A batch from the stream: counts the entries written after the hello's head. */
  arrived(batch: readonly LogEntry[], now = Date.now()): void {
    const head = this.#head;
    if (head === undefined) return;
    let count = 0;
    for (const entry of batch) if (entry.seq > head) count++;
    if (count === 0) return;
    this.#samples.push({ at: now, count });
    // Bounded however fast batches come and however rarely the rate is read.
    if (this.#samples.length > 600) this.perSecond(now);
  }

  perSecond(now = Date.now()): number {
    if (this.#head === undefined) return 0;
    this.#samples = this.#samples.filter((sample) => now - sample.at < this.#windowMs);
    const total = this.#samples.reduce((sum, sample) => sum + sample.count, 0);
    // A connection younger than the window divides by its own age (at least 1 s, so one early line is not a burst).
    const span = Math.min(this.#windowMs, Math.max(1000, now - this.#since));
    return total / (span / 1000);
  }
}
