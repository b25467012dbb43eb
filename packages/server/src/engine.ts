import { Broker, type BrokerOptions, type LogStore, MemoryStore, type RetentionPolicy, RetentionPruner, SqliteStore } from '@livelog/core';
import type { StoreConfig } from './config.js';

/** A store with its broker and retention pruner: everything behind the HTTP API. */
export interface LivelogEngine {
  readonly store: LogStore;
  readonly broker: Broker;
  readonly pruner: RetentionPruner;
  /** Ends streams (readers reconnect elsewhere or later), stops pruning, commits and closes the store. */
  stop(): Promise<void>;
}

/** How to build an engine. */
export interface EngineOptions {
  /** An existing store (opened by the engine), or the config to create one. */
  store: LogStore | StoreConfig;
  retention?: RetentionPolicy;
  broker?: BrokerOptions;
  /** Called when a pruning pass removed entries or failed. */
  onPruned?: (removed: number) => void;
  onPruneError?: (error: unknown) => void;
}

/**
 * Store factories for `kind: 'url'` store configs, by URL scheme (`redis:`). A package that provides
 * a store registers itself here, so the server depends only on the LogStore interface.
 */
export const storeFactories = new Map<string, (url: string) => Promise<LogStore>>();

/** Creates the store a config names. */
export async function createStore(config: StoreConfig): Promise<LogStore> {
  if (config.kind === 'sqlite') return new SqliteStore({ dir: config.dir, durability: config.durability });
  if (config.kind === 'memory') return new MemoryStore();
  const scheme = new URL(config.url).protocol;
  const factory = storeFactories.get(scheme);
  if (factory === undefined) {
    throw new Error(
      `no store is available for ${scheme} URLs (known: sqlite, memory${[...storeFactories.keys()].map((key) => `, ${key}//`).join('')})`,
    );
  }
  return factory(config.url);
}

/** Opens the store, starts the broker and the pruner. */
export async function openEngine(options: EngineOptions): Promise<LivelogEngine> {
  const store = isStore(options.store) ? options.store : await createStore(options.store);
  await store.open();
  const broker = new Broker(store, options.broker);
  await broker.start();
  const pruner = new RetentionPruner(store, options.retention ?? {}, {
    onPruned: async (removed) => {
      options.onPruned?.(removed);
      broker.retainedFrom((await store.bounds()).first);
    },
    ...(options.onPruneError ? { onError: options.onPruneError } : {}),
  });
  if (pruner.active) pruner.start();
  let stopped: Promise<void> | undefined;
  return {
    store,
    broker,
    pruner,
    stop() {
      stopped ??= (async () => {
        await broker.stop();
        await pruner.stop();
        await store.close();
      })();
      return stopped;
    },
  };
}

function isStore(value: LogStore | StoreConfig): value is LogStore {
  return typeof (value as LogStore).append === 'function';
}
