export {
  createRedisDatabase,
  createRedisStore,
  parseRedisStoreUrl,
  REDIS_SCHEMES,
  type RedisDatabaseOptions,
  type RedisStoreUrl,
} from './create-redis-store.js';
export { type RedisKeys, type RegistryKeys, redisKeys, registryKeys, streamKeys } from './redis-keys.js';
export { RedisLogDatabase, type RedisLogDatabaseOptions } from './redis-log-database.js';
export { redisStoreProvider } from './redis-store-provider.js';
export { RedisStreamStore } from './redis-stream-store.js';
