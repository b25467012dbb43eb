import type { Broker } from '@livelog/core';
import { createRedisStore } from '@livelog/redis';
import { storeFactories } from '@livelog/server';

/** Where store warnings go; the server's logger once it exists. */
export type StoreWarn = (details: Record<string, unknown>, message: string) => void;

/** What the stores registered here tell the running server. */
export interface StoreHooks {
  warn(): StoreWarn;
  /** The broker of the running server, once there is one. */
  broker(): Broker | undefined;
}

/**
 * Registers the store URL schemes `livelog serve` can use (`redis:`, `rediss:`). The server knows
 * only the LogStore interface and picks a factory by scheme; this command ships the stores.
 */
export function registerStoreFactories(hooks: StoreHooks): void {
  const redis = async (url: string) => {
    let lastWarned = 0;
    const store = createRedisStore(url, {
      onError: (error) => {
        // node-redis reports every failed reconnect attempt; one line per outage and then one every
        // 30 s is enough to see it in the log.
        const now = Date.now();
        if (now - lastWarned < 30_000) return;
        lastWarned = now;
        hooks.warn()({ err: error, store: 'redis' }, 'Redis connection error; ingest answers 503 until it is back');
      },
    });
    let restarting = Promise.resolve();
    store.onIdentityChange((stream) => {
      hooks.warn()({ store: 'redis', stream }, 'the Redis stream was wiped and started again; earlier ids are now foreign');
      const broker = hooks.broker();
      // The broker's readers and ring belong to the old stream: restarting it ends every stream
      // (readers reconnect and are told `reset`) and builds the ring for the new one.
      if (broker !== undefined) restarting = restarting.then(() => restartBroker(broker, hooks));
    });
    return store;
  };
  storeFactories.set('redis:', redis);
  storeFactories.set('rediss:', redis);
}

async function restartBroker(broker: Broker, hooks: StoreHooks): Promise<void> {
  await broker.stop();
  for (let attempt = 0; ; attempt++) {
    try {
      await broker.start();
      return;
    } catch (error) {
      // start() reads the store's bounds; while Redis is unreachable, keep trying.
      if (attempt % 30 === 0) hooks.warn()({ err: error }, 'cannot restart the stream broker yet; retrying');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
