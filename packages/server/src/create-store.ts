import { createStoreFromUrl, type EngineLog, type LogDatabase, MemoryDatabase, SqliteDatabase, type StoreProvider } from '@livelog/core';
import type { StoreConfig } from './config.js';

/**
 * The database a config names, not yet opened: SQLite or memory from core, or a store URL built by
 * the provider of its scheme among `providers` (the server ships none; `livelog serve` passes Redis).
 * `log` hears what opening the store migrates (SQLite: the rebuild of an old search index).
 */
export async function createStore(config: StoreConfig, providers: readonly StoreProvider[] = [], log?: EngineLog): Promise<LogDatabase> {
  if (config.kind === 'sqlite')
    return new SqliteDatabase({
      dir: config.dir,
      durability: config.durability,
      searchIndex: config.searchIndex ?? true,
      ...(log === undefined ? {} : { log }),
    });
  if (config.kind === 'memory') return new MemoryDatabase();
  return createStoreFromUrl(config.url, providers);
}
