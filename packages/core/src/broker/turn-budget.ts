/**
 * How much catch-up work one broker does per turn of the event loop, in units its user chooses: store
 * pages read, or bytes of shared pages written.
 *
 * Without a bound a reconnect storm runs away with the loop: hundreds of readers reconnect (or their
 * sockets drain) in one poll phase, and each reads and writes a page before the loop gets back to
 * I/O, so one turn does hundreds of pages while live readers, ingest acks and `/healthz` wait. With
 * it, a turn grants at most `perTurn` units of a broker; the other readers queue, first come first
 * served, and get theirs in the next turns. Live readers read from the hot ring and never queue.
 *
 * A grant may cost more than one unit (a page's bytes): it is made while the turn has any unit left,
 * so a turn overshoots by at most one grant, and a grant larger than `perTurn` still gets a turn.
 */
export class TurnBudget {
  readonly #perTurn: number;
  #used = 0;
  #scheduled = false;
  #waiting: { readonly cost: number; readonly resolve: () => void }[] = [];

  /** @param perTurn units per turn of the event loop (pages by default); at least 1. */
  constructor(perTurn = 8) {
    this.#perTurn = Math.max(1, Math.floor(perTurn));
  }

  /** Readers waiting for a later turn. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Takes `cost` units of this turn if any are left and nobody queues before the caller. */
  tryTake(cost = 1): boolean {
    if (this.#used >= this.#perTurn || this.#waiting.length > 0) return false;
    this.#used += cost;
    this.#schedule();
    return true;
  }

  /**
   * Takes `cost` units: undefined when this turn had some left, else a promise that resolves in the
   * turn that grants them (they are then already counted against that turn).
   */
  take(cost = 1): Promise<void> | undefined {
    if (this.tryTake(cost)) return undefined;
    return new Promise((resolve) => {
      this.#waiting.push({ cost, resolve });
      this.#schedule();
    });
  }

  /** Lets every waiter go (the broker stops: they find their reader closed). */
  release(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const waiter of waiting) waiter.resolve();
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
    let granted = 0;
    while (this.#used < this.#perTurn && granted < this.#waiting.length) {
      const waiter = this.#waiting[granted++] as { cost: number; resolve: () => void };
      this.#used += waiter.cost;
      waiter.resolve();
    }
    // One splice per turn, not a shift per grant: a storm queues a thousand readers.
    this.#waiting.splice(0, granted);
    if (this.#used > 0) this.#schedule();
  }
}
