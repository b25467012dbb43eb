import { type CloseReason, EVENT_NAMES, encodeCursor, type HelloEvent, type ResetEvent, type ResetReason } from '@livelog/protocol';
import { escapeUnicodeBreaks } from '../entry/encode-entry.js';
import type { EntryFilter } from '../entry/entry-filter.js';
import { encodeEvent } from '../sse/encode-event.js';
import type { SseSink } from '../sse/sse-sink.js';
import { encodeResetEvent } from '../sse/stream-events.js';
import type { LogStore, StoredEntry } from '../store/log-store.js';
import { streamNotFound } from '../store/stream-errors.js';
import { FrameRing, type FrameRingOptions } from './frame-ring.js';
import type { PageCache, StreamPages } from './page-cache.js';
import { resolveStart, type StartRequest } from './start-position.js';
import { Subscription } from './subscription.js';
import type { SubscriptionContext } from './subscription-context.js';
import { TurnBudget } from './turn-budget.js';

/** Readers checked per event-loop turn for heartbeats and stalls: ~1,000 small socket writes, a few ms. */
const SWEEP_SLICE = 1000;
/** The least in flight to one catch-up reader, however many there are: a page and then some. */
const MIN_CATCH_UP_IN_FLIGHT = 256 * 1024;
/**
 * A share above this is no limit: Linux's send buffers stop at 4 MB by default, and checking it would
 * read the kernel's tables every second for a lone replaying reader.
 */
const MAX_CATCH_UP_IN_FLIGHT = 8 * 1024 * 1024;

/** Options of the broker. Every one has a default suited to production. */
export interface BrokerOptions {
  /** Size of the hot ring of encoded frames. */
  ring?: FrameRingOptions;
  /** Entries per store read while a reader catches up. Defaults to 1,000. */
  pageSize?: number;
  /**
   * Catch-up pages shared by readers (see PageCache), usually one for every broker of an engine.
   * Defaults to none: each reader behind the ring reads its own pages from the store.
   */
  pageCache?: PageCache;
  /**
   * Store pages the broker's readers may take per turn of the event loop (see TurnBudget); readers
   * beyond it wait for the next turn, so a reconnect storm cannot starve live delivery. Defaults to 8.
   */
  pagesPerTurn?: number;
  /**
   * Bytes of shared catch-up pages (held by the page cache, or read by another reader) the broker's
   * readers may write per turn of the event loop; writes beyond it wait for the next turn, so that a
   * storm's readers of one page do not write it to hundreds of sockets while live readers wait.
   * Defaults to 4 MiB.
   */
  sharedBytesPerTurn?: number;
  /**
   * Bytes in flight (written, not yet taken: the kernel's send queue included where the sink sees it)
   * to the broker's readers catching up from pages, shared evenly among them, but at least 256 KiB
   * each: a reader is written its next page only once its share is no longer exceeded. A share over
   * 8 MiB (up to 4 readers at the default) is no limit: Linux's send buffers stop at 4 MB. A storm's
   * thousand readers do not fill a gigabyte of kernel memory. Defaults to 32 MiB; 0: no limit.
   */
  catchUpInFlightBytes?: number;
  /** Most bytes written to one socket at once. Defaults to 256 KiB. */
  maxWriteBytes?: number;
  /** A heartbeat comment is written to a reader idle this long, in ms. Defaults to 15,000. */
  heartbeatMs?: number;
  /** A reader whose socket accepts nothing for this long is disconnected, in ms. Defaults to 30,000. */
  stallTimeoutMs?: number;
  /** Reconnection delay suggested to clients (`retry:`), in ms. Defaults to 2,000. */
  retryMs?: number;
  /** `lag` events are sent while a reader is at least this many entries behind. Defaults to 1,000. */
  lagThreshold?: number;
  /** Least time between two `lag` events to one reader, in ms. Defaults to 1,000. */
  lagIntervalMs?: number;
  /**
   * Told of a store error that ended a reader's delivery (the reader was disconnected and resumes by
   * its Last-Event-ID), for the log. Defaults to none: the error is dropped.
   */
  onReaderError?: (error: unknown) => void;
}

/** What a reader asks for. */
export interface SubscribeOptions {
  start?: StartRequest;
  filter?: EntryFilter;
  /** Epoch ms: deliver entries before this time, then close with `until` (issue 13). */
  until?: number;
}

/** Counters the server exports as metrics. */
export interface BrokerStats {
  /** Readers connected now. */
  readers: number;
  /** Entries written to readers, in total. */
  delivered: number;
  /** Gap events sent. */
  gaps: number;
  /** Entries reported missing in gap events. */
  missed: number;
  /** Reset events sent, by reason. */
  resets: Record<ResetReason, number>;
  /** Readers disconnected for being stalled. */
  stalled: number;
  /** Readers ever connected. */
  connects: number;
  /** Catch-up pages readers read from the store themselves (not through a page cache). */
  pageReads: number;
}

/**
 * Fans entries out from one store to many SSE readers. Every reader is a `Subscription`: a cursor
 * into the store. The broker only keeps the hot ring of recent frames, knows the head, wakes readers
 * on each append, and runs one timer for heartbeats and stall checks across all readers.
 */
export class Broker {
  readonly store: LogStore;
  readonly stats: BrokerStats = {
    readers: 0,
    delivered: 0,
    gaps: 0,
    missed: 0,
    resets: { malformed: 0, foreign: 0, future: 0, deleted: 0 },
    stalled: 0,
    connects: 0,
    pageReads: 0,
  };
  readonly #options: Required<Omit<BrokerOptions, 'ring' | 'pageCache' | 'pagesPerTurn' | 'sharedBytesPerTurn' | 'onReaderError'>>;
  readonly #onReaderError: ((error: unknown) => void) | undefined;
  readonly #pageCache: PageCache | undefined;
  readonly #budget: TurnBudget;
  readonly #sharedBytes: TurnBudget;
  #pages: StreamPages | undefined;
  readonly #ringOptions: FrameRingOptions;
  #ring: FrameRing | undefined;
  readonly #subscriptions = new Set<Subscription>();
  /** Readers catching up from pages now (see catchUpInFlightBytes). */
  #catchingUp = 0;
  #head = 0;
  #timer: NodeJS.Timeout | undefined;
  /** True while a sweep of heartbeats and stall checks is spread over turns (see #sweep). */
  #sweeping = false;
  #unlisten: (() => void) | undefined;
  #unlistenEnd: (() => void) | undefined;
  #deleted = false;
  #context: SubscriptionContext | undefined;

  constructor(store: LogStore, options: BrokerOptions = {}) {
    this.store = store;
    this.#ringOptions = options.ring ?? {};
    this.#pageCache = options.pageCache;
    this.#budget = new TurnBudget(options.pagesPerTurn ?? 8);
    this.#sharedBytes = new TurnBudget(options.sharedBytesPerTurn ?? 4 * 1024 * 1024);
    this.#options = {
      pageSize: options.pageSize ?? 1000,
      maxWriteBytes: options.maxWriteBytes ?? 256 * 1024,
      heartbeatMs: options.heartbeatMs ?? 15_000,
      stallTimeoutMs: options.stallTimeoutMs ?? 30_000,
      retryMs: options.retryMs ?? 2000,
      catchUpInFlightBytes: options.catchUpInFlightBytes ?? 32 * 1024 * 1024,
      lagThreshold: options.lagThreshold ?? 1000,
      lagIntervalMs: options.lagIntervalMs ?? 1000,
    };
    this.#onReaderError = options.onReaderError;
  }

  /** Newest seq known durable. */
  get head(): number {
    return this.#head;
  }

  get heartbeatMs(): number {
    return this.#options.heartbeatMs;
  }

  /** The reconnection delay its streams ask readers for (`retry:`). */
  get retryMs(): number {
    return this.#options.retryMs;
  }

  /** Starts following the store. The store must be open. */
  async start(): Promise<void> {
    if (this.#context !== undefined) return;
    const ring = new FrameRing(this.store.streamId, this.#ringOptions);
    this.#ring = ring;
    // Listen before reading the head, so no append can fall between the two.
    this.#unlisten = this.store.onAppend((entries) => this.#onAppend(entries));
    // The store calls this after its append listeners saw every entry before the end.
    this.#unlistenEnd = this.store.onEnd(() => {
      // Ended streams are read to their end once and then rarely: their pages make room for others.
      this.#pages?.clear();
      for (const subscription of this.#subscriptions) subscription.wake();
    });
    const { last } = await this.store.bounds();
    this.#head = Math.max(this.#head, last);
    // Pages are per identity (their frames carry it): a restarted broker starts with none.
    this.#pages = this.#pageCache?.forStream(this.store);
    this.#context = {
      store: this.store,
      ring,
      head: () => this.#head,
      ended: () => this.store.ended(),
      pageSize: this.#options.pageSize,
      maxWriteBytes: this.#options.maxWriteBytes,
      lagThreshold: this.#options.lagThreshold,
      lagIntervalMs: this.#options.lagIntervalMs,
      pages: this.#pages,
      budget: this.#budget,
      sharedBytes: this.#sharedBytes,
      catchingUp: (delta) => {
        this.#catchingUp += delta;
      },
      catchUpInFlight: () => {
        const total = this.#options.catchUpInFlightBytes;
        if (total <= 0) return 0;
        const share = Math.max(MIN_CATCH_UP_IN_FLIGHT, total / Math.max(1, this.#catchingUp));
        return share > MAX_CATCH_UP_IN_FLIGHT ? 0 : share;
      },
      onPageRead: () => {
        this.stats.pageReads++;
      },
      onDelivered: (n) => {
        this.stats.delivered += n;
      },
      onGap: (missed) => {
        this.stats.gaps++;
        this.stats.missed += missed;
      },
      onStoreError: (error) => {
        try {
          this.#onReaderError?.(error);
        } catch {
          // A failing log must not take the other readers down.
        }
      },
      onClosed: (subscription) => {
        if (this.#subscriptions.delete(subscription)) this.stats.readers--;
      },
    };
    const tick = Math.max(10, Math.min(this.#options.heartbeatMs, this.#options.stallTimeoutMs) / 4);
    this.#timer = setInterval(() => this.#tick(), tick);
    this.#timer.unref();
  }

  /**
   * Starts a reader on `sink`: resolves its start position, writes `hello` (with the start's id) and
   * any `reset`, then delivers from the cursor on, for as long as the sink is open.
   */
  async subscribe(sink: SseSink, options: SubscribeOptions = {}): Promise<Subscription> {
    const context = this.#requireContext();
    const start = await resolveStart(this.store, options.start ?? {}, options.filter);
    // The ring hears of retention only from this process's pruner, after its pass: another instance's
    // pruner (Redis), or this one mid-pass, leaves it holding entries the store no longer has, and a
    // reader resuming behind them would get them instead of its gap, under a hello saying they are gone.
    this.#ring?.dropBefore(start.bounds.first);
    const stream = this.store.streamId;
    const hello: HelloEvent = {
      stream,
      first: start.bounds.first,
      last: start.bounds.last,
      heartbeatMs: this.#options.heartbeatMs,
      name: this.store.name,
    };
    const ended = this.store.ended();
    if (ended !== undefined) hello.ended = ended;
    let preamble = encodeEvent({
      event: EVENT_NAMES.hello,
      id: encodeCursor({ stream, seq: start.seq }),
      retry: this.#options.retryMs,
      // `ended.reason` is the writer's free text (see escapeUnicodeBreaks).
      data: escapeUnicodeBreaks(JSON.stringify(hello)),
    });
    if (start.reset !== undefined) {
      const reset: ResetEvent = { reason: start.reset, stream };
      preamble += encodeResetEvent(reset);
      this.stats.resets[start.reset]++;
    }
    const subscription = new Subscription(context, sink, stream, start.seq, options.filter);
    if (options.until !== undefined) await subscription.endAt(options.until, (time) => this.store.seqBeforeTime(time));
    if (subscription.closed) return subscription;
    this.#subscriptions.add(subscription);
    this.stats.readers++;
    this.stats.connects++;
    subscription.start(preamble);
    return subscription;
  }

  /** Tells the broker that retention removed every entry before `firstSeq`. */
  retainedFrom(firstSeq: number): void {
    this.#ring?.dropBefore(firstSeq);
    this.#pages?.dropBefore(firstSeq);
  }

  /** Ends every reader's stream with a `close` event. */
  closeAll(reason: CloseReason): void {
    for (const subscription of [...this.#subscriptions]) subscription.close(reason);
  }

  /** Readers connected now. */
  get readers(): number {
    return this.#subscriptions.size;
  }

  /**
   * The stream was deleted: every reader gets `reset {reason:'deleted'}` and `close {reason:'deleted'}`,
   * and the broker stops (later subscribes throw).
   */
  async deleted(): Promise<void> {
    this.#deleted = true;
    const reset = encodeResetEvent({ reason: 'deleted', stream: this.store.streamId });
    for (const subscription of [...this.#subscriptions]) {
      this.stats.resets.deleted++;
      subscription.close('deleted', reset);
    }
    await this.stop();
  }

  /** Ends every stream (`shutdown`) and stops following the store. */
  async stop(): Promise<void> {
    this.closeAll('shutdown');
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#unlisten?.();
    this.#unlistenEnd?.();
    this.#context = undefined;
    this.#pages?.clear();
    this.#pages = undefined;
    // Readers queued for a later turn were closed above: let them see it and leave.
    this.#budget.release();
    this.#sharedBytes.release();
    // A restarted broker may follow a new stream (a wiped Redis): its head must come from the store again.
    this.#head = 0;
  }

  #onAppend(entries: readonly StoredEntry[]): void {
    const last = entries[entries.length - 1];
    if (last === undefined) return;
    this.#ring?.push(entries);
    if (last.seq > this.#head) this.#head = last.seq;
    for (const subscription of this.#subscriptions) subscription.wake();
  }

  #tick(): void {
    if (this.#sweeping) return;
    this.#sweeping = true;
    this.#sweep(this.#subscriptions.values());
  }

  /**
   * Checks readers a slice at a time, yielding to the event loop between slices: readers that
   * connected together (a restart's reconnect storm) fall due for a heartbeat in the same tick, and
   * 20,000 socket writes in one turn would hold live deliveries back for a fifth of a second.
   * A Set's iterator stays valid across turns (readers that leave meanwhile are skipped).
   */
  #sweep(readers: IterableIterator<Subscription>): void {
    const now = Date.now();
    for (let i = 0; i < SWEEP_SLICE; i++) {
      const next = readers.next();
      if (next.done === true || this.#timer === undefined) {
        this.#sweeping = false;
        return;
      }
      const subscription = next.value;
      if (subscription.isStalled(now, this.#options.stallTimeoutMs)) {
        this.stats.stalled++;
        subscription.destroy();
      } else {
        subscription.heartbeat(now, this.#options.heartbeatMs);
      }
    }
    setImmediate(() => this.#sweep(readers));
  }

  #requireContext(): SubscriptionContext {
    if (this.#deleted) throw streamNotFound(this.store.name);
    if (this.#context === undefined) throw new Error('Broker.start() must resolve before subscribe()');
    return this.#context;
  }
}
