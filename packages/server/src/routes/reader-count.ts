import { type Broker, LivelogError } from '@livelog/core';
import type { CloseReason } from '@livelog/protocol';

/** One reader's place in the count, and the broker it reads from once it has one. */
export interface ReaderSlot {
  /** Records the broker this reader reads from, for `closeAll`. */
  attach(broker: Broker): void;
  /** Gives the slot back; idempotent. */
  release(): void;
}

/**
 * SSE readers connected now, across every stream, and the brokers they read from. Kept by the routes
 * rather than summed over the engine's brokers, since a broker exists only while its stream has
 * readers: the bound of `--max-readers` is the server's, not a stream's; and shutdown must reach
 * every stream's readers, not only those of `default`.
 */
export class ReaderCount {
  readonly #limit: number;
  readonly #brokers = new Map<Broker, number>();
  #count = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get count(): number {
    return this.#count;
  }

  /** Takes a reader slot; throws LIVELOG_ERR_STREAM_TOO_MANY_READERS when none is free. */
  take(): ReaderSlot {
    if (this.#count >= this.#limit) {
      throw new LivelogError('LIVELOG_ERR_STREAM_TOO_MANY_READERS', `this server serves at most ${this.#limit} streams; retry later`);
    }
    this.#count++;
    let released = false;
    let attached: Broker | undefined;
    return {
      attach: (broker) => {
        if (released || attached !== undefined) return;
        attached = broker;
        this.#brokers.set(broker, (this.#brokers.get(broker) ?? 0) + 1);
      },
      release: () => {
        if (released) return;
        released = true;
        this.#count--;
        if (attached === undefined) return;
        const left = (this.#brokers.get(attached) ?? 1) - 1;
        if (left <= 0) this.#brokers.delete(attached);
        else this.#brokers.set(attached, left);
      },
    };
  }

  /** Ends every reader's stream with a `close` of `reason` (shutdown: readers reconnect elsewhere or later). */
  closeAll(reason: CloseReason): void {
    for (const broker of [...this.#brokers.keys()]) broker.closeAll(reason);
  }
}
