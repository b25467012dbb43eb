import { LivelogError } from '@livelog/core';

/** The names of every Redis key one livelog stream uses. All share one hash tag, so one cluster slot. */
export interface RedisKeys {
  /**
   * Hash: `stream` (identity), `seq` (last assigned), `bytes` (retained JSON bytes), `maxtime`,
   * `lasttime` (receive time of the newest entry), `created`, and when set `labels`, `retention`,
   * `end` (JSON each) and `listed` (the registry holds this identity).
   */
  meta: string;
  /** The Redis Stream of entries, one per seq, with the explicit id `<seq>-0`. */
  log: string;
  /** Hash: source name → entries ever appended with it. */
  sourceCount: string;
  /** Hash: source name → `<lastSeq>:<lastTime>`. */
  sourceLast: string;
  /** Hash: idempotency key → `<identity>\n<digest>\n<firstSeq>\n<lastSeq>`. */
  idemKeys: string;
  /** Sorted set: idempotency key scored by when it expires (ms), so the oldest go first. */
  idemExpiry: string;
  /** The per-key strings of the single-stream layout (`default` only), still honoured for 24 h after an upgrade. */
  legacyIdempotency?: (key: string) => string;
  /** Pub/Sub channel of append, end and delete hints (same hash tag: sharded Pub/Sub on a cluster). */
  hints: string;
}

/** The keys of the stream registry: on the slot of the `{prefix}` hash tag. */
export interface RegistryKeys {
  /** Sorted set, every score 0: stream names in name order (ZRANGEBYLEX). */
  names: string;
  /** Hash: stream name → identity registered. Removal compares it, so a newer stream of the name stays. */
  identities: string;
  /** Sorted set: stream name scored by its last append time (ms), updated within about a second. */
  recent: string;
  /** Set: names of streams with a retention of their own, pruned even when the defaults keep everything. */
  retained: string;
  /** Pub/Sub channel of `created <name>`, `ended <name>`, `deleted <name>`. */
  changes: string;
}

/** What a key prefix may hold: it is part of every key, and inside the registry's hash tag. */
const PREFIX = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Throws LIVELOG_ERR_CONFIG_INVALID unless `prefix` may be used in keys. */
export function checkPrefix(prefix: string): string {
  if (!PREFIX.test(prefix)) {
    throw new LivelogError(
      'LIVELOG_ERR_CONFIG_INVALID',
      `invalid Redis key name ${JSON.stringify(prefix)}: use 1 to 128 of A-Z a-z 0-9 _ . : -`,
    );
  }
  return prefix;
}

/**
 * The keys of stream `name` under `prefix`: `<prefix>:{<name>}:…`. The hash tag is the stream name, so
 * a Redis Cluster spreads streams over its shards, and one Lua script may touch all keys of a stream.
 *
 * The stream `default` keeps the keys of the single-stream layout, `{<prefix>}:meta|log|sources|
 * source-last` (an alias, not a migration: the data written before streams is read where it is).
 */
export function streamKeys(prefix: string, name: string): RedisKeys {
  checkPrefix(prefix);
  const legacy = name === 'default';
  const base = legacy ? `{${prefix}}` : `${prefix}:{${name}}`;
  const keys: RedisKeys = {
    meta: `${base}:meta`,
    log: `${base}:log`,
    sourceCount: `${base}:sources`,
    sourceLast: `${base}:source-last`,
    idemKeys: `${base}:idem-keys`,
    idemExpiry: `${base}:idem-expiry`,
    hints: `${base}:hints`,
  };
  if (legacy) keys.legacyIdempotency = (key) => `${base}:idem:${key}`;
  return keys;
}

/** Every key of a stream that a delete removes (legacy idempotency strings expire by themselves). */
export function allStreamKeys(keys: RedisKeys): string[] {
  return [keys.meta, keys.log, keys.sourceCount, keys.sourceLast, keys.idemKeys, keys.idemExpiry];
}

/** The registry keys of `prefix`. */
export function registryKeys(prefix: string): RegistryKeys {
  checkPrefix(prefix);
  const tag = `{${prefix}}`;
  return {
    names: `${tag}:streams`,
    identities: `${tag}:streams:identity`,
    recent: `${tag}:streams:recent`,
    retained: `${tag}:streams:retained`,
    changes: `${tag}:streams:changes`,
  };
}

/**
 * The single-stream API of earlier versions: the keys of the stream `key` as `{key}:…`.
 * @deprecated use `streamKeys(prefix, name)`.
 */
export function redisKeys(name: string): RedisKeys {
  return streamKeys(name, 'default');
}
