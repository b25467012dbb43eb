export { createRedisStore, parseRedisStoreUrl, type RedisStoreUrl } from './create-redis-store.js';
export { type RedisKeys, redisKeys } from './redis-keys.js';
export { RedisStreamStore, type RedisStreamStoreOptions } from './redis-stream-store.js';
