import { effectiveRetention, type RetentionPolicy } from '@livelog/core';
import type { StreamRetention } from '@livelog/protocol';
import { type CallOptions, call } from './redis-calls.js';
import type { RedisLink } from './redis-link.js';
import type { RedisStreamStore } from './redis-stream-store.js';
import type { StreamRegistry } from './stream-registry.js';

/** What one prune call needs. */
export interface PruneRound {
  registry: StreamRegistry;
  link: RedisLink;
  calls: CallOptions;
  defaults: RetentionPolicy;
  batchSize: number;
  /** Most streams examined per call. */
  streamsPerCall: number;
  /** Name after which the previous call stopped. */
  cursor: string | undefined;
  handle(name: string): RedisStreamStore;
}

function limited(policy: RetentionPolicy): boolean {
  return policy.maxEntries !== undefined || policy.maxBytes !== undefined || policy.maxAgeMs !== undefined;
}

/**
 * One retention pass over at most `streamsPerCall` streams, at most about `batchSize` entries. When the
 * defaults keep everything, only the streams with a retention of their own (the registry's `retained`
 * set) are examined; otherwise the registry is walked round-robin from `cursor`, so a call costs the
 * same with 10 or 10,000 streams, and every stream is reached within streams / streamsPerCall calls.
 * Idempotency keys need no pass: each append expires and bounds its stream's keys.
 */
export async function pruneStreams(round: PruneRound): Promise<{ removed: number; cursor: string | undefined }> {
  const { registry, link, calls } = round;
  let names: string[];
  let cursor: string | undefined;
  if (!limited(round.defaults)) {
    names = await registry.retained();
    cursor = undefined;
  } else {
    names = await registry.names(round.cursor, '', round.streamsPerCall);
    cursor = names.length < round.streamsPerCall ? undefined : names[names.length - 1];
  }
  let removed = 0;
  for (const name of names) {
    const handle = round.handle(name);
    const own = await call(calls, () => link.send<string | null>(handle.keys.meta, ['HGET', handle.keys.meta, 'retention']));
    const policy = effectiveRetention(round.defaults, own === null ? undefined : (JSON.parse(own) as StreamRetention));
    if (!limited(policy)) continue;
    removed += await handle.prune(policy, round.batchSize - removed);
    if (removed >= round.batchSize) {
      // Out of budget: the next call starts again at this stream.
      return { removed, cursor: previousName(names, name, round.cursor) };
    }
  }
  return { removed, cursor };
}

function previousName(names: string[], name: string, start: string | undefined): string | undefined {
  const index = names.indexOf(name);
  return index > 0 ? names[index - 1] : start;
}
