import { DEFAULT_STREAM } from '@livelog/protocol';
import type { Broker, BrokerOptions, BrokerStats } from '../broker/broker.js';
import type { FrameRingOptions } from '../broker/frame-ring.js';
import type { PageCacheOptions, PageCacheStats } from '../broker/page-cache.js';
import { RetentionPruner } from '../retention/retention-pruner.js';
import type { LogDatabase } from '../store/log-database.js';
import type { BasicLogStore, LogStore, RetentionPolicy, StoredStreamInfo } from '../store/log-store.js';
import { singleStreamDatabase } from '../store/single-stream-database.js';
import { streamNotFound } from '../store/stream-errors.js';
import { type BrokerLease, BrokerRegistry } from './broker-registry.js';
import type { EngineLog } from './engine-log.js';

export type { BrokerLease } from './broker-registry.js';
export type { EngineLog } from './engine-log.js';

/** How to build an engine. Give `database`, or `store` for a single-stream engine. */
export interface EngineOptions {
  /** A database, constructed but not yet opened: the engine opens it, and closes it on `stop()`. */
  database?: LogDatabase;
  /**
   * A store of one stream, not yet opened, served as the stream `default` only. A store that belongs
   * to a database (a SqliteStore) brings its whole database.
   */
  store?: BasicLogStore;
  /** Default retention of every stream (a stream's own retention overrides it); none keeps everything. */
  retention?: RetentionPolicy;
  broker?: BrokerOptions;
  /** The hot ring of each stream other than `default` (see BrokerRegistryOptions.streamRing). */
  streamRing?: FrameRingOptions;
  /**
   * The catch-up page cache shared by every stream's readers (see PageCache), or false for none.
   * Defaults to 32 MiB.
   */
  pageCache?: PageCacheOptions | false;
  /** How long the broker of a stream nobody reads any more stays, in ms. Defaults to 30,000. */
  brokerIdleMs?: number;
  /** Pause between two attempts to restart a broker after an identity change, in ms. Defaults to 1,000. */
  restartRetryMs?: number;
  /** Time between retention passes, in ms. Defaults to 1,000. */
  pruneIntervalMs?: number;
  log?: EngineLog;
}

/** Streams with their brokers and the retention pruner: everything behind the HTTP API, and no HTTP. */
export interface LivelogEngine {
  readonly database: LogDatabase;
  /** The stream `default` (what `/api/logs`, `/api/stream` and `/api/sources` use). */
  readonly store: LogStore;
  /** The broker of `default`, alive as long as the engine. */
  readonly broker: Broker;
  readonly pruner: RetentionPruner;
  /** A lease on the broker of an existing stream; LIVELOG_ERR_STREAM_NOT_FOUND when there is none. */
  acquireBroker(name: string): Promise<BrokerLease>;
  /** A lease on the broker of a stream, taking a handle that creates it on its first write. */
  openBroker(name: string): Promise<BrokerLease>;
  /** Readers of `name` connected now (0 when it has no broker). */
  readers(name: string): number;
  /** The stream's info with its readers, or undefined when it does not exist. */
  streamInfo(name: string): Promise<(StoredStreamInfo & { readers: number }) | undefined>;
  /** Brokers alive now (streams being read, or read a moment ago). */
  readonly brokers: number;
  /** Broker counters summed over every stream, brokers already gone included; `readers` is now. */
  stats(): BrokerStats;
  /** Counters of the catch-up page cache (store page reads, shared pages, evictions); zeros without one. */
  pageStats(): PageCacheStats;
  /** Ends every stream (readers reconnect elsewhere or later), stops pruning, commits and closes the database. */
  stop(): Promise<void>;
}

/** A store that belongs to a database and brings it (see SqliteStore). */
interface DatabaseBackedStore extends BasicLogStore {
  readonly database: LogDatabase;
}

function databaseOf(options: EngineOptions): LogDatabase {
  if (options.database !== undefined) return options.database;
  const store = options.store;
  if (store === undefined) throw new TypeError('createEngine needs a database or a store');
  const backed = (store as Partial<DatabaseBackedStore>).database;
  return backed !== undefined && typeof backed.openStream === 'function' ? backed : singleStreamDatabase(store);
}

/**
 * Opens the database, keeps a broker for `default`, makes the brokers of other streams on demand and
 * starts the retention pruner. A deleted stream's readers get `reset`/`close` `deleted`; an ended
 * stream's readers get every entry, then `end` and `close` `ended`.
 * @example
 * const engine = await createEngine({ database: new SqliteDatabase({ dir: './livelog-data' }), retention: { maxAgeMs: 7 * 86_400_000 } });
 * await engine.store.append([{ time: Date.now(), level: 'info', source: 'app', msg: 'hello' }]);
 * await (await engine.database.openStream('build-42')).append([{ time: Date.now(), level: 'info', source: 'make', msg: 'ok' }]);
 * await engine.stop();
 */
export async function createEngine(options: EngineOptions): Promise<LivelogEngine> {
  const { log } = options;
  const database = databaseOf(options);
  await database.open();
  const registry = new BrokerRegistry({
    ...(options.broker ? { broker: options.broker } : {}),
    ...(options.streamRing ? { streamRing: options.streamRing } : {}),
    ...(options.pageCache !== undefined ? { pageCache: options.pageCache } : {}),
    ...(options.brokerIdleMs !== undefined ? { idleMs: options.brokerIdleMs } : {}),
    ...(options.restartRetryMs !== undefined ? { restartRetryMs: options.restartRetryMs } : {}),
    ...(log ? { log } : {}),
  });
  let store: LogStore;
  let defaultLease: BrokerLease;
  try {
    store = await database.openStream(DEFAULT_STREAM);
    // `default` always exists: the unnamed routes read it from the first moment, as before streams.
    if ((await database.stream(DEFAULT_STREAM)) === undefined) await database.setStream(DEFAULT_STREAM, {});
    defaultLease = await registry.acquire(store);
  } catch (error) {
    await registry.stop();
    await database.close().catch(() => undefined);
    throw error;
  }
  const unlistenChanges = database.onStreamChange((change) => {
    if (change.type !== 'deleted') return;
    registry
      .deleted(change.name)
      .catch((error: unknown) => log?.error?.({ err: error, name: change.name }, 'closing the readers of a deleted stream failed'));
  });
  const pruner = new RetentionPruner(database, options.retention ?? {}, {
    ...(options.pruneIntervalMs !== undefined ? { intervalMs: options.pruneIntervalMs } : {}),
    onPruned: async (removed) => {
      log?.debug?.({ removed }, 'retention pruned entries');
      // Only streams being read have a ring to trim.
      for (const broker of registry.brokers()) {
        try {
          broker.retainedFrom((await broker.store.bounds()).first);
        } catch {
          // A stream deleted meanwhile: its broker is going away.
        }
      }
    },
    onError: (error) => log?.error?.({ err: error }, 'retention pass failed'),
  });
  // Always on: besides entries, it expires idempotency keys, which are bounded even without retention.
  pruner.start();

  let stopping: Promise<void> | undefined;
  return {
    database,
    store,
    broker: defaultLease.broker,
    pruner,
    get brokers() {
      return registry.size;
    },
    stats() {
      return registry.totals();
    },
    pageStats() {
      return registry.pageStats();
    },
    async acquireBroker(name) {
      const stream = await database.stream(name);
      if (stream === undefined) throw streamNotFound(name);
      return registry.acquire(stream);
    },
    async openBroker(name) {
      return registry.acquire(await database.openStream(name));
    },
    readers(name) {
      return registry.peek(name)?.readers ?? 0;
    },
    async streamInfo(name) {
      const stream = await database.stream(name);
      if (stream === undefined) return undefined;
      return { ...(await stream.info()), readers: registry.peek(name)?.readers ?? 0 };
    },
    stop() {
      stopping ??= (async () => {
        unlistenChanges();
        defaultLease.release();
        await registry.stop();
        await pruner.stop();
        await database.close();
      })();
      return stopping;
    },
  };
}
