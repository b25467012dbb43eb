import { LivelogError } from '@livelog/core';
import { RedisStreamStore, type RedisStreamStoreOptions } from './redis-stream-store.js';

/** What a store URL says: the connection URL for Redis and the stream's key name. */
export interface RedisStoreUrl {
  /** The URL without livelog's own query parameters, as node-redis takes it. */
  url: string;
  /** The `key` query parameter; `livelog` when absent. */
  key: string;
}

/**
 * Reads `redis://[[user]:password@]host[:port][/db][?key=name]` (or `rediss://` for TLS). `db` is the
 * Redis database number (0 when absent); `key` names the stream, so that several livelog streams can
 * share one Redis. Throws LIVELOG_ERR_CONFIG_INVALID with the reason for anything else.
 */
export function parseRedisStoreUrl(value: string): RedisStoreUrl {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(value, 'it is not a URL; expected redis://host:port/db?key=name');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw invalid(value, `the scheme must be redis: or rediss:, not ${url.protocol}`);
  }
  if (url.hostname === '') throw invalid(value, 'the host is missing');
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/(0|[1-9][0-9]{0,3})$/.test(url.pathname)) {
    throw invalid(value, `the path must be a database number, like /0, not ${url.pathname}`);
  }
  for (const name of url.searchParams.keys()) {
    if (name !== 'key') throw invalid(value, `unknown parameter ${JSON.stringify(name)}; only "key" is understood`);
  }
  const key = url.searchParams.get('key') ?? 'livelog';
  url.search = '';
  return { url: url.toString(), key };
}

/**
 * A Redis Streams store from a URL such as `redis://127.0.0.1:6379/0?key=livelog`.
 * Call `open()` before use.
 * @see RedisStreamStore for what the store guarantees, and `parseRedisStoreUrl` for the URL.
 */
export function createRedisStore(url: string, options: Omit<RedisStreamStoreOptions, 'url' | 'key'> = {}): RedisStreamStore {
  const parsed = parseRedisStoreUrl(url);
  return new RedisStreamStore({ ...options, url: parsed.url, key: parsed.key });
}

function invalid(value: string, reason: string): LivelogError {
  // The URL may hold a password: name the problem, never echo the value whole.
  const shown = value.replace(/\/\/[^@/]*@/, '//***@');
  return new LivelogError('LIVELOG_ERR_CONFIG_INVALID', `invalid Redis store URL ${shown}: ${reason}`);
}
