import { createRedisStore } from '@livelog/redis';
import { storeFactories } from '@livelog/server';

/** Where store warnings go; the server's logger once it exists. */
export type StoreWarn = (details: Record<string, unknown>, message: string) => void;

/**
 * Registers the store URL schemes `livelog serve` can use (`redis:`, `rediss:`). The server knows
 * only the LogStore interface and picks a factory by scheme; this command ships the stores.
 */
export function registerStoreFactories(warn: () => StoreWarn): void {
  const redis = async (url: string) => {
    let lastWarned = 0;
    const store = createRedisStore(url, {
      onError: (error) => {
        // node-redis reports every failed reconnect attempt; one line per outage and then one every
        // 30 s is enough to see it in the log.
        const now = Date.now();
        if (now - lastWarned < 30_000) return;
        lastWarned = now;
        warn()({ err: error, store: 'redis' }, 'Redis connection error; ingest answers 503 until it is back');
      },
    });
    store.onIdentityChange((stream) => {
      warn()({ store: 'redis', stream }, 'the Redis stream was wiped and started again; earlier ids are now foreign');
    });
    return store;
  };
  storeFactories.set('redis:', redis);
  storeFactories.set('rediss:', redis);
}
