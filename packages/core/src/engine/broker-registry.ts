import { DEFAULT_STREAM } from '@livelog/protocol';
import { Broker, type BrokerOptions, type BrokerStats } from '../broker/broker.js';
import type { FrameRingOptions } from '../broker/frame-ring.js';
import { PageCache, type PageCacheOptions, type PageCacheStats } from '../broker/page-cache.js';
import { isIdentityChanging } from '../store/identity-changing-store.js';
import type { LogStore } from '../store/log-store.js';
import type { EngineLog } from './engine-log.js';

/** A hold on a stream's broker: the broker stays while any lease is held, and a while after. */
export interface BrokerLease {
  readonly broker: Broker;
  /** Gives the hold up; idempotent. */
  release(): void;
}

interface Slot {
  readonly name: string;
  readonly broker: Broker;
  readonly ready: Promise<void>;
  holds: number;
  /** When the last hold was released (0 while held). */
  idleSince: number;
  unlistenIdentity: (() => void) | undefined;
  restarting: Promise<void>;
}

/** Options of the registry. */
export interface BrokerRegistryOptions {
  broker?: BrokerOptions;
  /**
   * The hot ring of brokers of streams other than `default`. Many streams can be read at once, so each
   * gets a smaller ring than the one stream of old; a reader behind it reads from the store, losslessly.
   * Defaults to the broker's ring capped at 1,000 entries and 1 MiB.
   */
  streamRing?: FrameRingOptions;
  /**
   * The catch-up page cache shared by every broker (readers reconnecting at once share store reads),
   * or false for none. Defaults to 32 MiB of pages of 1,000 entries.
   */
  pageCache?: PageCacheOptions | false;
  /** How long a broker without holds and readers stays, in ms. Defaults to 30,000. */
  idleMs?: number;
  /** Pause between two attempts to restart a broker after an identity change, in ms. Defaults to 1,000. */
  restartRetryMs?: number;
  log?: EngineLog;
}

const READER_FAILURE_LOG_MS = 10_000;

/**
 * The brokers of the streams being read, made on demand. A stream nobody reads has no broker, ring or
 * timer: a broker is made when a reader acquires it, and one shared sweep (not a timer per stream)
 * stops those without holds and readers for `idleMs`.
 */
export class BrokerRegistry {
  readonly #slots = new Map<string, Slot>();
  readonly #options: BrokerRegistryOptions;
  readonly #idleMs: number;
  readonly #pageCache: PageCache | undefined;
  #sweep: NodeJS.Timeout | undefined;
  #stopped = false;
  #readerFailureLoggedAt = 0;
  /** Readers dropped on store errors since the last such line in the log. */
  #readerFailuresSince = 0;
  /** Counters of brokers already gone, so that totals never go down. */
  readonly #retired: BrokerStats = emptyStats();

  constructor(options: BrokerRegistryOptions = {}) {
    this.#options = options;
    this.#idleMs = options.idleMs ?? 30_000;
    this.#pageCache = options.pageCache === false ? undefined : new PageCache(options.pageCache ?? {});
    this.#sweep = setInterval(() => this.#sweepIdle(Date.now()), Math.max(50, Math.min(5000, this.#idleMs / 2)));
    this.#sweep.unref();
  }

  /** Brokers alive now. */
  get size(): number {
    return this.#slots.size;
  }

  /** Counters summed over every broker, those gone included (`readers`: connected now). */
  totals(): BrokerStats {
    const total = emptyStats();
    addStats(total, this.#retired);
    total.readers = 0;
    for (const slot of this.#slots.values()) addStats(total, slot.broker.stats);
    return total;
  }

  /**
   * Counters of the catch-up page cache (zeros when there is none); `reads` also counts the pages
   * readers read from the store themselves (filtered readers, or every reader without a cache).
   */
  pageStats(): PageCacheStats {
    const stats = { ...(this.#pageCache?.stats ?? { reads: 0, shares: 0, evictions: 0, pages: 0, bytes: 0 }) };
    stats.reads += this.totals().pageReads;
    return stats;
  }

  /** The broker of `name` if one is alive (no lease taken). */
  peek(name: string): Broker | undefined {
    return this.#slots.get(name)?.broker;
  }

  /** Every live broker. */
  brokers(): Broker[] {
    return [...this.#slots.values()].map((slot) => slot.broker);
  }

  /** A lease on the broker of `store`'s stream, starting one when none is alive. */
  async acquire(store: LogStore): Promise<BrokerLease> {
    if (this.#stopped) throw new Error('the engine is stopped');
    let slot = this.#slots.get(store.name);
    if (slot !== undefined && slot.broker.store !== store) {
      // A handle of a stream deleted and made again under the same name: the old broker is stale.
      await this.#drop(slot, 'stale');
      slot = undefined;
    }
    if (slot === undefined) slot = this.#start(store);
    slot.holds++;
    slot.idleSince = 0;
    const held = slot;
    try {
      await held.ready;
    } catch (error) {
      this.#release(held);
      throw error;
    }
    let released = false;
    return {
      broker: held.broker,
      release: () => {
        if (released) return;
        released = true;
        this.#release(held);
      },
    };
  }

  /** The stream was deleted: its readers get `reset`/`close` `deleted`, and its broker goes. */
  async deleted(name: string): Promise<void> {
    const slot = this.#slots.get(name);
    if (slot === undefined) return;
    this.#slots.delete(name);
    slot.unlistenIdentity?.();
    await slot.ready.catch(() => undefined);
    await slot.broker.deleted();
    this.#retire(slot.broker);
  }

  /** Stops every broker (readers get a retryable `shutdown`). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#sweep !== undefined) clearInterval(this.#sweep);
    this.#sweep = undefined;
    for (const slot of [...this.#slots.values()]) await this.#drop(slot, 'stop');
  }

  #start(store: LogStore): Slot {
    const options = store.name === DEFAULT_STREAM ? { ...this.#options.broker } : this.#streamBrokerOptions();
    if (this.#pageCache !== undefined) options.pageCache ??= this.#pageCache;
    options.onReaderError ??= (error) => this.#readerFailed(error);
    const broker = new Broker(store, options);
    const slot: Slot = {
      name: store.name,
      broker,
      ready: broker.start(),
      holds: 0,
      idleSince: 0,
      unlistenIdentity: undefined,
      restarting: Promise.resolve(),
    };
    slot.ready.catch(() => {
      if (this.#slots.get(slot.name) === slot) this.#slots.delete(slot.name);
    });
    if (isIdentityChanging(store)) {
      slot.unlistenIdentity = store.onIdentityChange((identity) => {
        this.#options.log?.warn?.(
          { store: store.kind, stream: identity, name: store.name },
          'the stream was wiped and started again; earlier ids are now foreign',
        );
        // The broker's readers and ring belong to the old stream: restarting it ends every reader
        // (they reconnect and are told `reset`) and builds the ring for the new one.
        slot.restarting = slot.restarting
          .then(() => this.#restart(slot))
          .catch((error: unknown) => this.#options.log?.error?.({ err: error }, 'restarting the stream broker failed'));
      });
    }
    this.#slots.set(store.name, slot);
    return slot;
  }

  #streamBrokerOptions(): BrokerOptions {
    const ring = this.#options.broker?.ring ?? {};
    const streamRing = this.#options.streamRing ?? {
      maxEntries: Math.min(ring.maxEntries ?? 10_000, 1000),
      maxBytes: Math.min(ring.maxBytes ?? 16 * 1024 * 1024, 1024 * 1024),
    };
    return { ...this.#options.broker, ring: streamRing };
  }

  /** Logs a reader dropped on a store error, at most once per 10 s: an outage drops every reader catching up. */
  #readerFailed(error: unknown): void {
    const now = Date.now();
    if (now - this.#readerFailureLoggedAt < READER_FAILURE_LOG_MS) {
      this.#readerFailuresSince++;
      return;
    }
    this.#options.log?.warn?.(
      { err: error, dropped: this.#readerFailuresSince + 1 },
      'readers dropped on a store error; they resume by Last-Event-ID',
    );
    this.#readerFailureLoggedAt = now;
    this.#readerFailuresSince = 0;
  }

  async #restart(slot: Slot): Promise<void> {
    if (this.#stopped || this.#slots.get(slot.name) !== slot) return;
    await slot.broker.stop();
    for (let attempt = 0; !this.#stopped && this.#slots.get(slot.name) === slot; attempt++) {
      try {
        await slot.broker.start();
        return;
      } catch (error) {
        // start() reads the store's bounds; while the store is unreachable, keep trying.
        if (attempt % 30 === 0) this.#options.log?.warn?.({ err: error }, 'cannot restart the stream broker yet; retrying');
        await new Promise((resolve) => setTimeout(resolve, this.#options.restartRetryMs ?? 1000));
      }
    }
  }

  #release(slot: Slot): void {
    slot.holds = Math.max(0, slot.holds - 1);
    if (slot.holds === 0) slot.idleSince = Date.now();
  }

  #sweepIdle(now: number): void {
    for (const slot of this.#slots.values()) {
      if (slot.holds === 0 && slot.broker.readers === 0 && slot.idleSince !== 0 && now - slot.idleSince >= this.#idleMs) {
        void this.#drop(slot, 'idle');
      }
    }
  }

  async #drop(slot: Slot, _why: 'idle' | 'stale' | 'stop'): Promise<void> {
    if (this.#slots.get(slot.name) === slot) this.#slots.delete(slot.name);
    slot.unlistenIdentity?.();
    await slot.restarting;
    await slot.ready.catch(() => undefined);
    await slot.broker.stop();
    this.#retire(slot.broker);
  }

  #retire(broker: Broker): void {
    addStats(this.#retired, { ...broker.stats, readers: 0 });
  }
}

function emptyStats(): BrokerStats {
  return {
    readers: 0,
    delivered: 0,
    gaps: 0,
    missed: 0,
    resets: { malformed: 0, foreign: 0, future: 0, deleted: 0 },
    stalled: 0,
    connects: 0,
    pageReads: 0,
  };
}

function addStats(into: BrokerStats, from: BrokerStats): void {
  into.readers += from.readers;
  into.delivered += from.delivered;
  into.gaps += from.gaps;
  into.missed += from.missed;
  into.stalled += from.stalled;
  into.connects += from.connects;
  into.pageReads += from.pageReads;
  for (const reason of Object.keys(into.resets) as (keyof BrokerStats['resets'])[]) into.resets[reason] += from.resets[reason];
}
