import type { RetentionPolicy } from '@livelog/core';
import type { RedisStreamStore } from './redis-stream-store.js';
import type { StreamRegistry } from './stream-registry.js';

/** What one prune call needs. */
export interface PruneRound {
  registry: StreamRegistry;
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
  const { registry } = round;
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
    // One script per stream: it reads the stream's own retention and applies it over the defaults.
    removed += await round.handle(name).pruneWith(round.defaults, round.batchSize - removed, true);
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
