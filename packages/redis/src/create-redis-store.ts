import { LivelogError } from '@livelog/core';
import { RedisLogDatabase, type RedisLogDatabaseOptions } from './redis-log-database.js';
import type { RedisStreamStore } from './redis-stream-store.js';

/** What a store URL says. */
export interface RedisStoreUrl {
  /** The (first) node's URL without livelog's own query parameters, as node-redis takes it. */
  url: string;
  /** Every node given: one for a single Redis, the seed nodes of a cluster. */
  urls: string[];
  /** True for `redis+cluster://` and `rediss+cluster://`. */
  cluster: boolean;
  /** The `key` query parameter, the prefix of every key; `livelog` when absent. */
  key: string;
}

const SINGLE = new Set(['redis:', 'rediss:']);
const CLUSTER = new Set(['redis+cluster:', 'rediss+cluster:']);

/** The URL schemes this package serves. */
export const REDIS_SCHEMES = [...SINGLE, ...CLUSTER];

/**
 * Reads a Redis store URL; throws LIVELOG_ERR_CONFIG_INVALID with the reason for anything else.
 * - `redis://[[user]:password@]host[:port][/db][?key=prefix]` (or `rediss://` for TLS): one Redis.
 * - `redis+cluster://[[user]:password@]host:port[?key=prefix&node=host:port…]` (or
 *   `rediss+cluster://`): a Redis Cluster, found from the seed node(s) given; more seeds with `node=`
 *   (a URL cannot list hosts with commas). No database number: a cluster has only database 0.
 * `key` is the first part of every key (default `livelog`), so several livelog setups can share one Redis.
 */
export function parseRedisStoreUrl(value: string): RedisStoreUrl {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(value, 'it is not a URL; expected redis://host:port/db?key=name or redis+cluster://host:port?key=name');
  }
  const cluster = CLUSTER.has(url.protocol);
  if (!cluster && !SINGLE.has(url.protocol)) {
    throw invalid(value, `the scheme must be redis:, rediss:, redis+cluster: or rediss+cluster:, not ${url.protocol}`);
  }
  if (url.hostname === '') throw invalid(value, 'the host is missing');
  if (cluster) {
    if (url.pathname !== '' && url.pathname !== '/')
      throw invalid(value, `a cluster URL has no path (a cluster has database 0 only), not ${url.pathname}`);
  } else if (url.pathname !== '' && url.pathname !== '/' && !/^\/(0|[1-9][0-9]{0,3})$/.test(url.pathname)) {
    throw invalid(value, `the path must be a database number, like /0, not ${url.pathname}`);
  }
  for (const name of url.searchParams.keys()) {
    if (name === 'key' || (cluster && name === 'node')) continue;
    throw invalid(value, `unknown parameter ${JSON.stringify(name)}; only "key"${cluster ? ' and "node"' : ''} are understood`);
  }
  const key = url.searchParams.get('key') ?? 'livelog';
  const nodes = url.searchParams.getAll('node');
  url.search = '';
  if (!cluster) return { url: url.toString(), urls: [url.toString()], cluster: false, key };
  const scheme = url.protocol === 'rediss+cluster:' ? 'rediss:' : 'redis:';
  const credentials = url.username !== '' || url.password !== '' ? `${url.username}${url.password === '' ? '' : `:${url.password}`}@` : '';
  const urls = [url.host, ...nodes].map((host) => {
    if (!/^[A-Za-z0-9.[\]:-]+:\d{1,5}$/.test(host)) throw invalid(value, `a cluster node must be host:port, not ${JSON.stringify(host)}`);
    return `${scheme}//${credentials}${host}`;
  });
  return { url: urls[0] as string, urls, cluster: true, key };
}

/** Options of `createRedisDatabase` beyond what the URL says. */
export type RedisDatabaseOptions = Omit<RedisLogDatabaseOptions, 'urls' | 'cluster' | 'prefix'>;

/**
 * The streams of a Redis (or Redis Cluster) from a URL such as `redis://127.0.0.1:6379/0?key=livelog`
 * or `redis+cluster://10.0.0.1:7000?key=livelog`. Call `open()` before use.
 */
export function createRedisDatabase(url: string, options: RedisDatabaseOptions = {}): RedisLogDatabase {
  const parsed = parseRedisStoreUrl(url);
  return new RedisLogDatabase({ ...options, urls: parsed.urls, cluster: parsed.cluster, prefix: parsed.key });
}

/**
 * The stream `default` of the Redis the URL names, as one store of its own (the single-stream API):
 * `open()` connects, `close()` disconnects. Its keys are the single-stream layout's, `{key}:…`.
 */
export function createRedisStore(url: string, options: RedisDatabaseOptions = {}): RedisStreamStore {
  return createRedisDatabase(url, options).ownedDefaultHandle();
}

function invalid(value: string, reason: string): LivelogError {
  // The URL may hold a password: name the problem, never echo the value whole.
  const shown = value.replace(/\/\/[^@/]*@/, '//***@');
  return new LivelogError('LIVELOG_ERR_CONFIG_INVALID', `invalid Redis store URL ${shown}: ${reason}`);
}
