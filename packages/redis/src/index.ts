export { createRedisStore, parseRedisStoreUrl, type RedisStoreUrl } from './create-redis-store.js';
export { type RedisKeys, redisKeys } from './redis-keys.js';
export { redisStoreProvider } from './redis-store-provider.js';
export { RedisStreamStore, type RedisStreamStoreOptions } from './redis-stream-store.js';
