import { isLivelogError, LivelogError } from '@livelog/core';
import type { EndInfo } from '@livelog/protocol';
import { unavailable, withTimeout } from './connect-redis.js';

/** How long calls may take and retry. */
export interface CallOptions {
  commandTimeoutMs: number;
  readRetryMs: number;
  /** True once the store is closed: reads stop retrying. */
  closed(): boolean;
  /** Where background failures (a follower's catch-up) are reported. */
  onError?: ((error: unknown) => void) | undefined;
}

/**
 * Runs one Redis call; any failure of Redis or of the connection becomes LIVELOG_ERR_STORE_UNAVAILABLE,
 * and the scripts' own errors become their codes (LIVELOG_ENDED → LIVELOG_ERR_STREAM_ENDED).
 */
export async function call<T>(options: CallOptions, run: () => Promise<T>): Promise<T> {
  try {
    return await withTimeout(run(), options.commandTimeoutMs);
  } catch (error) {
    if (isLivelogError(error)) throw error;
    if (error instanceof Error && error.message.startsWith('LIVELOG_ENDED')) {
      const end = parseEnd(error.message.slice('LIVELOG_ENDED '.length));
      throw new LivelogError('LIVELOG_ERR_STREAM_ENDED', `the stream was ended${describeEnd(end)}; it takes no more entries`);
    }
    if (error instanceof Error && error.message.startsWith('LIVELOG_CORRUPT')) {
      throw new LivelogError('LIVELOG_ERR_INTERNAL', `the Redis stream is inconsistent: ${error.message}`, { cause: error });
    }
    throw unavailable('Redis did not complete the request; an append may or may not be stored, retry with the same Idempotency-Key', error);
  }
}

/** Runs a call that changes nothing (or nothing twice), retrying it while the connection is down. */
export async function read<T>(options: CallOptions, run: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + options.readRetryMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call(options, run);
    } catch (error) {
      const retry = isLivelogError(error) && error.code === 'LIVELOG_ERR_STORE_UNAVAILABLE' && !options.closed() && Date.now() < deadline;
      if (!retry) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(250, 25 * 2 ** attempt)));
    }
  }
}

/** The EndInfo stored as JSON in the meta hash (undefined for '' or unreadable text). */
export function parseEnd(json: string | null | undefined): EndInfo | undefined {
  if (json === null || json === undefined || json === '') return undefined;
  try {
    const value = JSON.parse(json) as EndInfo;
    return typeof value.time === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

function describeEnd(end: EndInfo | undefined): string {
  if (end === undefined) return '';
  const parts = [new Date(end.time).toISOString()];
  if (end.exitCode !== undefined) parts.push(`exit ${end.exitCode}`);
  if (end.reason !== undefined) parts.push(JSON.stringify(end.reason));
  return ` (${parts.join(', ')})`;
}
