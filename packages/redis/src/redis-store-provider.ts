import type { StoreProvider } from '@livelog/core';
import { createRedisDatabase, parseRedisStoreUrl, REDIS_SCHEMES, type RedisDatabaseOptions } from './create-redis-store.js';

/**
 * The store provider of `redis://`, `rediss://`, `redis+cluster://` and `rediss+cluster://` URLs, for
 * `createServer(config, { storeProviders })` and the Fastify plugin's `storeProviders`: each URL gives a
 * `RedisLogDatabase` (many streams). `options` apply to every database it builds.
 * @see parseRedisStoreUrl for the URLs.
 */
export function redisStoreProvider(options: RedisDatabaseOptions = {}): StoreProvider {
  return {
    schemes: REDIS_SCHEMES,
    create: (url) => createRedisDatabase(url, options),
    check: (url) => {
      parseRedisStoreUrl(url);
    },
  };
}
