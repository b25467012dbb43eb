import type { StoreProvider } from '@livelog/core';
import { createRedisStore } from './create-redis-store.js';
import type { RedisStreamStoreOptions } from './redis-stream-store.js';

/**
 * The store provider of `redis://` and `rediss://` URLs, for `createServer(config, { storeProviders })`
 * and the Fastify plugin's `storeProviders`. `options` apply to every store it builds.
 * @see parseRedisStoreUrl for the URL.
 */
export function redisStoreProvider(options: Omit<RedisStreamStoreOptions, 'url' | 'key'> = {}): StoreProvider {
  return { schemes: ['redis:', 'rediss:'], create: (url) => createRedisStore(url, options) };
}
