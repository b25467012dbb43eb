import { LivelogError } from '@livelog/core';

/** The names of every Redis key one livelog stream uses. */
export interface RedisKeys {
  /** Hash: `stream` (identity), `seq` (last assigned), `bytes` (retained JSON bytes), `maxtime`, `created`. */
  meta: string;
  /** The Redis Stream of entries, one per seq, with the explicit id `<seq>-0`. */
  log: string;
  /** Hash: source name → entries ever appended with it. */
  sourceCount: string;
  /** Hash: source name → `<lastSeq>:<lastTime>`. */
  sourceLast: string;
  /** String per idempotency key, expiring after IDEMPOTENCY_TTL_MS. */
  idempotency(key: string): string;
}

/** What a stream name may hold: it is part of every key, inside a cluster hash tag. */
const KEY_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * The keys of the stream named `name`. Every key carries the hash tag `{name}`, so that on a Redis
 * Cluster they all live in one slot and one Lua script may touch them together.
 */
export function redisKeys(name: string): RedisKeys {
  if (!KEY_NAME.test(name)) {
    throw new LivelogError(
      'LIVELOG_ERR_CONFIG_INVALID',
      `invalid Redis key name ${JSON.stringify(name)}: use 1 to 128 of A-Z a-z 0-9 _ . : -`,
    );
  }
  const tag = `{${name}}`;
  return {
    meta: `${tag}:meta`,
    log: `${tag}:log`,
    sourceCount: `${tag}:sources`,
    sourceLast: `${tag}:source-last`,
    idempotency: (key) => `${tag}:idem:${key}`,
  };
}
