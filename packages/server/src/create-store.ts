import { createStoreFromUrl, type LogDatabase, MemoryDatabase, SqliteDatabase, type StoreProvider } from '@livelog/core';
import type { StoreConfig } from './config.js';

/**
 * The database a config names, not yet opened: SQLite or memory from core, or a store URL built by
 * the provider of its scheme among `providers` (the server ships none; `livelog serve` passes Redis).
 */
export async function createStore(config: StoreConfig, providers: readonly StoreProvider[] = []): Promise<LogDatabase> {
  if (config.kind === 'sqlite')
    return new SqliteDatabase({ dir: config.dir, durability: config.durability, searchIndex: config.searchIndex ?? true });
  if (config.kind === 'memory') return new MemoryDatabase();
  return createStoreFromUrl(config.url, providers);
}
