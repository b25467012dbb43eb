import { type AppendOptions, encodeEntryBody, type NewEntry } from '@livelog/core';
import { levelNumber } from '@livelog/protocol';
import { allStreamKeys, type RedisKeys } from './redis-keys.js';
import type { StreamSettings } from './stream-host.js';

/** What an append call needs beyond the batch. */
export interface AppendContext {
  publishCommand: string;
  /** Identity the stream gets if this append creates it. */
  candidate: string;
  /** Labels JSON the stream gets if this append creates it ('' for none). */
  createLabels: string;
  settings: StreamSettings;
}

/**
 * KEYS and ARGV of APPEND_SCRIPT for one batch. Every entry is encoded here, before anything is
 * sent, so an entry JSON cannot carry leaves Redis untouched.
 */
export function appendCall(
  streamKeys: RedisKeys,
  entries: readonly NewEntry[],
  options: AppendOptions,
  context: AppendContext,
): { keys: string[]; args: string[] } {
  const key = options.idempotencyKey ?? '';
  const args = [
    streamKeys.hints,
    context.publishCommand,
    context.candidate,
    options.bodyDigest ?? '',
    key,
    String(context.settings.idempotencyTtlMs),
    String(context.settings.idempotencyMaxKeys),
    context.createLabels,
  ];
  for (const entry of entries) {
    if (!Number.isFinite(entry.time)) throw new TypeError(`entry time is not a finite number: ${entry.time}`);
    // The script writes the head (id and seq) once it has assigned the seq: see encodeEntryHead.
    args.push(String(entry.time), String(levelNumber(entry.level)), entry.source, encodeEntryBody(entry));
  }
  const keys = allStreamKeys(streamKeys);
  // The stream `default` also honours the idempotency keys of the single-stream layout.
  if (key !== '' && streamKeys.legacyIdempotency !== undefined) keys.push(streamKeys.legacyIdempotency(key));
  return { keys, args };
}
