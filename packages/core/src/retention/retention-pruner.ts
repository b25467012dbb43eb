import type { RetentionPolicy } from '../store/log-store.js';

/** What the pruner prunes: a LogDatabase (every stream) or a single store. */
export interface Prunable {
  prune(policy: RetentionPolicy, batchSize: number): Promise<number>;
}

/** Options of the background pruner. */
export interface RetentionPrunerOptions {
  /** Time between pruning passes, in ms. Defaults to 1,000. */
  intervalMs?: number;
  /** Entries removed per store call; the event loop is yielded between calls. Defaults to 5,000. */
  batchSize?: number;
  /** Called with the count of each pruning pass that removed something. */
  onPruned?: (removed: number) => void | Promise<void>;
  /** Called when a pass fails; the pruner keeps running. */
  onError?: (error: unknown) => void;
}

/**
 * Applies a retention policy in the background, in small batches, so pruning never blocks ingest or
 * readers for long. Retention only ever removes the oldest entries (a prefix of the stream).
 */
export class RetentionPruner {
  readonly #store: Prunable;
  readonly #policy: RetentionPolicy;
  readonly #intervalMs: number;
  readonly #batchSize: number;
  readonly #onPruned: ((removed: number) => void | Promise<void>) | undefined;
  readonly #onError: ((error: unknown) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  #stopped = false;

  constructor(store: Prunable, policy: RetentionPolicy, options: RetentionPrunerOptions = {}) {
    this.#store = store;
    this.#policy = policy;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#batchSize = options.batchSize ?? 5000;
    this.#onPruned = options.onPruned;
    this.#onError = options.onError;
  }

  /** True when the policy limits anything at all. */
  get active(): boolean {
    const { maxEntries, maxBytes, maxAgeMs } = this.#policy;
    return maxEntries !== undefined || maxBytes !== undefined || maxAgeMs !== undefined;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#stopped = false;
    this.#timer = setInterval(() => {
      this.runOnce().catch((error: unknown) => this.#onError?.(error));
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Prunes until the store is within the policy. Concurrent calls share one pass. */
  runOnce(): Promise<number> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => 0);
  }

  async #pass(): Promise<number> {
    let total = 0;
    while (!this.#stopped) {
      const removed = await this.#store.prune(this.#policy, this.#batchSize);
      if (removed === 0) break;
      total += removed;
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (total > 0) await this.#onPruned?.(total);
    return total;
  }
}
