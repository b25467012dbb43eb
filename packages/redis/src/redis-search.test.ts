import { describeSearch, type StoreUnderTest } from '@livelog/core/contract';
import { dropStream, REDIS_URL, uniqueKey } from '../test/support/redis-server.js';
import { createRedisStore } from './create-redis-store.js';

// Issue 13: the query language's table on the Redis store, which scans XRANGE pages with matchEntry.
// Pages of 1 and 4 make every read resume inside the matches.
describeSearch(
  'redis',
  async (): Promise<StoreUnderTest> => {
    const key = uniqueKey('search');
    return { store: createRedisStore(`${REDIS_URL}?key=${key}`, { pollMs: 500 }), cleanup: () => dropStream(key) };
  },
  { pageSizes: [1, 4, 1000] },
);
