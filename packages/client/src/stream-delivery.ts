import type { GapEvent, LogEntry } from '@livelog/protocol';
import type { CursorStorage } from './browser/cursor-storage.js';
import type { TabShare } from './browser/tab-share.js';
import { EntryTracker } from './entry-tracker.js';
import type { LivelogClientError } from './errors.js';
import { StatsCounter } from './stream-stats.js';
import type { StreamEventMap, StreamStatus } from './stream-status.js';
import { TypedEmitter } from './typed-emitter.js';

/** The control events a stream passes on to its listeners (and relays to other tabs). */
export type ControlEventName = 'hello' | 'gap' | 'reset' | 'lag' | 'end';

/**
 * Everything a stream hands to its listeners passes here, whether its own connection read it or
 * the leader tab relayed it: the order check by seq, the counters, the cursor and where it is saved,
 * the status. In the leader tab the same calls relay it all to the other tabs, so a follower keeps
 * its stream exactly as the leader does, and resumes from the right place if it is promoted.
 *
 * Methods that emit take an optional `pending` array: the promises listeners return go there, and
 * the connection waits for them before reading on. Relayed events pass none: a follower cannot hold
 * back the leader's connection.
 */
export class StreamDelivery {
  readonly emitter = new TypedEmitter<StreamEventMap>();
  readonly stats = new StatsCounter();
  /** The position a reconnect resumes from: the id of the last event taken in. */
  lastEventId = '';
  /** The latest status. */
  status: StreamStatus = { state: 'connecting', attempt: 0, nextRetryMs: undefined, lastEventId: '' };
  readonly #tracker: EntryTracker;
  readonly #storage: CursorStorage | undefined;
  #share: TabShare | undefined;
  #batch: LogEntry[] = [];
  #relayedCursor = '';
  #emittedCursor = '';
  #closed = false;

  /** `filtered`: the server skips entries, so seqs may jump. `storage`: where `cursor` is saved (`persist`). */
  constructor(filtered: boolean, storage: CursorStorage | undefined) {
    this.#tracker = new EntryTracker(this.stats, filtered);
    this.#storage = storage;
  }

  /** Relays to the other tabs through `share` whenever this tab leads. */
  relayTo(share: TabShare): void {
    this.#share = share;
  }

  /** An entry event with id `id`: the entry joins the next batch if it is next in order. */
  entry(entry: LogEntry, id: string): void {
    this.lastEventId = id;
    if (this.#tracker.accept(entry)) this.#batch.push(entry);
  }

  /** Hands the entries taken in since the last flush to the listeners, as one batch. */
  flush(pending?: PromiseLike<void>[]): void {
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    this.stats.entries += batch.length;
    this.stats.batches++;
    this.emitter.emit('entries', batch, pending);
    this.#relay({ kind: 'entries', entries: batch, lastEventId: this.lastEventId });
  }

  /** A control event with id `id` (entries before it are flushed first by the caller). */
  control<K extends ControlEventName>(name: K, payload: StreamEventMap[K], id: string, pending?: PromiseLike<void>[]): void {
    this.lastEventId = id;
    switch (name) {
      case 'hello':
        this.#tracker.hello(id);
        break;
      case 'gap': {
        const gap = payload as GapEvent;
        this.stats.gaps++;
        this.stats.missedInGaps += gap.missed;
        this.#tracker.gap(gap.toSeq);
        break;
      }
      case 'reset':
        this.stats.resets++;
        this.#tracker.reset();
        break;
      case 'end':
        // Its id is the stream's last entry's: the position stays a valid cursor of the stream.
        this.#tracker.advance(id);
        break;
    }
    this.emitter.emit(name, payload, pending);
    this.#relay({ kind: 'event', name, payload, lastEventId: id });
  }

  /** The position moved to `id` without an entry: an id-only event past filtered entries, or a skipped one. */
  advance(id: string): void {
    if (id === this.lastEventId) return;
    this.lastEventId = id;
    this.#tracker.advance(id);
  }

  /** The end of a chunk: the other tabs learn a position that moved without entries, to resume exactly if promoted. */
  relayCursor(): void {
    if (this.#share?.leader !== true || this.#relayedCursor === this.lastEventId) return;
    this.#relayedCursor = this.lastEventId;
    this.#share.post({ kind: 'cursor', lastEventId: this.lastEventId });
  }

  /** The listeners are done with what was delivered: `cursor` tells (and `persist` saves) where that leaves the stream. */
  delivered(): void {
    if (this.#closed || this.lastEventId === this.#emittedCursor) return;
    this.#emittedCursor = this.lastEventId;
    // Saved only now, so a stored cursor never runs ahead of what listeners have finished with.
    this.#storage?.save(this.lastEventId);
    this.emitter.emit('cursor', this.lastEventId);
  }

  /** A new status of the connection (the `closed` one comes from `finish`). */
  setStatus(status: Omit<StreamStatus, 'lastEventId'>): void {
    this.status = { ...status, lastEventId: this.lastEventId };
    this.emitter.emit('status', this.status);
    const { state, attempt, nextRetryMs } = status;
    this.#relay({ kind: 'status', state, attempt, nextRetryMs, lastEventId: this.lastEventId });
  }

  /** The stream stopped for good, by `close()` or by `error`: the last events, then no more. */
  finish(error: LivelogClientError | undefined, attempt: number): void {
    this.#closed = true;
    this.#storage?.save(this.lastEventId);
    if (error !== undefined) {
      this.#relay({ kind: 'error', code: error.code, message: error.message, status: error.status });
      this.emitter.emit('error', error);
    }
    this.status = { state: 'closed', attempt, nextRetryMs: undefined, lastEventId: this.lastEventId, ...(error ? { error } : {}) };
    this.emitter.emit('status', this.status);
    this.emitter.removeAll();
  }

  #relay(message: Parameters<TabShare['post']>[0]): void {
    // Only the tab holding the connection relays; a follower takes in what it is told and says nothing.
    if (this.#share?.leader === true) this.#share.post(message);
  }
}
