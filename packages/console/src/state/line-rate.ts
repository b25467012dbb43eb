/** Lines per second over a sliding window, from the batch sizes seen. */
export class LineRate {
  readonly #windowMs: number;
  #samples: { at: number; count: number }[] = [];

  constructor(windowMs = 5000) {
    this.#windowMs = windowMs;
  }

  add(count: number, now = Date.now()): void {
    this.#samples.push({ at: now, count });
    // Bounded however fast batches come and however rarely the rate is read.
    if (this.#samples.length > 600) this.perSecond(now);
  }

  perSecond(now = Date.now()): number {
    this.#samples = this.#samples.filter((sample) => now - sample.at < this.#windowMs);
    const total = this.#samples.reduce((sum, sample) => sum + sample.count, 0);
    return total / (this.#windowMs / 1000);
  }
}
