import { createStoreFromUrl, type LogStore, MemoryStore, SqliteStore, type StoreProvider } from '@livelog/core';
import type { StoreConfig } from './config.js';

/**
 * The store a config names, not yet opened: SQLite or memory from core, or a store URL built by the
 * provider of its scheme among `providers` (the server ships none; `livelog serve` passes Redis).
 */
export async function createStore(config: StoreConfig, providers: readonly StoreProvider[] = []): Promise<LogStore> {
  if (config.kind === 'sqlite') return new SqliteStore({ dir: config.dir, durability: config.durability });
  if (config.kind === 'memory') return new MemoryStore();
  return createStoreFromUrl(config.url, providers);
}
