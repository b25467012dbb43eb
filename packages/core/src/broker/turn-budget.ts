/**
 * How many catch-up pages one broker serves per turn of the event loop.
 *
 * Without a bound a reconnect storm runs away with the loop: hundreds of readers reconnect (or their
 * sockets drain) in one poll phase, and each reads and writes a page before the loop gets back to
 * I/O, so one turn does hundreds of pages while live readers, ingest acks and `/healthz` wait. With
 * it, a turn serves at most `perTurn` pages of a broker; the other readers queue, first come first
 * served, and get theirs in the next turns. Live readers read from the hot ring and never queue.
 */
export class TurnBudget {
  readonly #perTurn: number;
  #used = 0;
  #scheduled = false;
  #waiting: (() => void)[] = [];

  /** @param perTurn pages per turn of the event loop; at least 1. */
  constructor(perTurn = 8) {
    this.#perTurn = Math.max(1, Math.floor(perTurn));
  }

  /** Readers waiting for a later turn. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Takes one page of this turn if one is left and nobody queues before the caller. */
  tryTake(): boolean {
    if (this.#used >= this.#perTurn || this.#waiting.length > 0) return false;
    this.#used++;
    this.#schedule();
    return true;
  }

  /**
   * Takes one page: undefined when this turn had one left, else a promise that resolves in the turn
   * that grants it (the page is then already counted against that turn).
   */
  take(): Promise<void> | undefined {
    if (this.tryTake()) return undefined;
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#schedule();
    });
  }

  /** Lets every waiter go (the broker stops: they find their reader closed). */
  release(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resolve of waiting) resolve();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // Scheduled from the poll phase or from the check phase, it runs in the next check phase: a new turn.
    setImmediate(() => this.#nextTurn());
  }

  #nextTurn(): void {
    this.#scheduled = false;
    this.#used = 0;
    while (this.#used < this.#perTurn && this.#waiting.length > 0) {
      this.#used++;
      (this.#waiting.shift() as () => void)();
    }
    if (this.#used > 0) this.#schedule();
  }
}
