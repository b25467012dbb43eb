import { isStreamName } from '@livelog/protocol';
import { LivelogError } from '../errors.js';
import type { IdempotencyLimits } from './idempotency.js';
import {
  effectiveRetention,
  type ListStreamsPage,
  type ListStreamsQuery,
  type LogDatabase,
  type OpenStreamOptions,
  type SetStreamOptions,
  type StreamChangeListener,
} from './log-database.js';
import type { LogStore, RetentionPolicy, StoredStreamInfo } from './log-store.js';
import { MemoryStore } from './memory-store.js';
import { listByRecency, type RecentItem, type RecentSource } from './recent-list.js';
import { StreamChanges } from './stream-changes.js';
import { badStreamName } from './stream-errors.js';
import { decodeListCursor, encodeListCursor, matchesListQuery } from './stream-list.js';

/** Options of the in-memory database. */
export interface MemoryDatabaseOptions {
  idempotency?: IdempotencyLimits;
}

/** Many MemoryStores by name: the `memory` store of a server. Everything is lost with the process. */
export class MemoryDatabase implements LogDatabase {
  readonly kind = 'memory';
  readonly #options: MemoryDatabaseOptions;
  /** Every handle given out, created or not yet written. */
  readonly #handles = new Map<string, MemoryStore>();
  readonly #changes = new StreamChanges();
  #closed = false;
  /** The highest activity any stream recorded (MemoryStoreOptions.activityClock). */
  #topActivity = 0;

  constructor(options: MemoryDatabaseOptions = {}) {
    this.#options = options;
  }

  async open(): Promise<void> {}

  async close(): Promise<void> {
    this.#closed = true;
    for (const store of this.#handles.values()) await store.close();
  }

  async stream(name: string): Promise<LogStore | undefined> {
    this.#checkOpen();
    const store = this.#handles.get(name);
    return store?.exists ? store : undefined;
  }

  async openStream(name: string, options: OpenStreamOptions = {}): Promise<LogStore> {
    return this.#handle(name, options);
  }

  async setStream(name: string, options: SetStreamOptions): Promise<StoredStreamInfo> {
    const store = this.#handle(name, {});
    store.configure(options.labels, options.retention);
    return store.info();
  }

  async list(query: ListStreamsQuery): Promise<ListStreamsPage> {
    this.#checkOpen();
    const matching = [...this.#handles.values()].filter((store) => store.exists && matchesListQuery(store.name, store.labels, query));
    if (query.order === 'recent') return listByRecency(recentSource(matching, this.#topActivity), query);
    const after = query.after === undefined ? undefined : decodeListCursor(query.after, 'name');
    const sorted = matching
      .filter((store) => after === undefined || after.name < store.name)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const page = sorted.slice(0, query.limit);
    const streams = await Promise.all(page.map((store) => store.info()));
    const last = page[page.length - 1];
    return sorted.length > query.limit && last !== undefined
      ? { streams, next: encodeListCursor({ name: last.name, activity: 0 }, 'name') }
      : { streams };
  }

  async delete(name: string): Promise<boolean> {
    this.#checkOpen();
    const store = this.#handles.get(name);
    // A handle not yet written is no stream: nothing to delete, and its holder may still write.
    if (store === undefined || !store.exists) return false;
    this.#handles.delete(name);
    store.markDeleted();
    this.#changes.emit({ type: 'deleted', name });
    return true;
  }

  onStreamChange(listener: StreamChangeListener): () => void {
    return this.#changes.add(listener);
  }

  async prune(defaults: RetentionPolicy, batchSize: number): Promise<number> {
    let removed = 0;
    const now = Date.now();
    for (const store of this.#handles.values()) {
      if (removed >= batchSize) break;
      const policy = effectiveRetention(defaults, store.retention);
      if (store.needsPrune(policy, now)) removed += await store.prune(policy, batchSize - removed);
    }
    return removed;
  }

  async isReady(): Promise<boolean> {
    return !this.#closed;
  }

  #handle(name: string, options: OpenStreamOptions): MemoryStore {
    this.#checkOpen();
    if (!isStreamName(name)) throw badStreamName(name);
    let store = this.#handles.get(name);
    if (store === undefined) {
      store = new MemoryStore({
        name,
        ...(options.labels ? { labels: options.labels } : {}),
        ...(this.#options.idempotency ? { idempotency: this.#options.idempotency } : {}),
        onCreate: () => this.#changes.emit({ type: 'created', name }),
        activityClock: () => {
          this.#topActivity = Math.max(Date.now(), this.#topActivity + 1);
          return this.#topActivity;
        },
      });
      const created = store;
      store.onEnd(() => {
        if (this.#handles.get(name) === created) this.#changes.emit({ type: 'ended', name });
      });
      this.#handles.set(name, store);
    }
    return store;
  }

  #checkOpen(): void {
    if (this.#closed) throw new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the memory store is closed');
  }
}

/** `order=recent` over the streams of one process: activity descending, equal ones in name order. */
function recentSource(matching: readonly MemoryStore[], top: number): RecentSource {
  const items = async (stores: MemoryStore[]): Promise<RecentItem[]> =>
    Promise.all(stores.map(async (store) => ({ info: await store.info(), activity: store.lastActivity })));
  return {
    bound: async () => top,
    byRecency(after, bound, count) {
      const listed = matching.filter(
        (store) =>
          (bound === undefined || store.lastActivity <= bound) &&
          (after === undefined ||
            store.lastActivity < after.activity ||
            (store.lastActivity === after.activity && store.name > after.name)),
      );
      listed.sort((a, b) => b.lastActivity - a.lastActivity || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return items(listed.slice(0, count));
    },
    movedByName(bound, afterName, count) {
      const moved = matching.filter((store) => store.lastActivity > bound && (afterName === undefined || store.name > afterName));
      moved.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return items(moved.slice(0, count));
    },
  };
}
