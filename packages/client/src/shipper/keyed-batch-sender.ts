import type { IngestReply } from '@livelog/protocol';
import { sendBatch } from './send-batch.js';
import type { ShipperEventMap } from './shipper-events.js';
import { resolveShipperOptions, type ShipperOptions } from './shipper-options.js';

/** How a keyed batch ended: stored (now or by an earlier attempt), or refused for good. */
export type KeyedBatchOutcome =
  | ({ kind: 'acknowledged'; replayed: boolean } & IngestReply)
  | { kind: 'rejected'; status: number; code?: string; message: string; line?: number };

/**
 * Sends NDJSON batches whose Idempotency-Key the caller derives from where the lines came from
 * (a file's identity and byte range, a journal cursor), for shippers that checkpoint a position
 * and must re-send exactly the same batch after a crash. The same retry rules as the shipper: every
 * network error, timeout, 408, 429 and 5xx is retried with backoff until `signal` aborts.
 */
export interface KeyedBatchSender {
  /** Resolves with the outcome, or undefined once `signal` aborted it. */
  send(key: string, body: string, signal: AbortSignal): Promise<KeyedBatchOutcome | undefined>;
}

/** A sender to `options.url` (token, source, retry and timeout options as for `createShipper`). */
export function createKeyedBatchSender(
  options: ShipperOptions,
  onRetry: (retry: ShipperEventMap['retry']) => void = () => undefined,
): KeyedBatchSender {
  const resolved = resolveShipperOptions(options);
  return {
    send: (key, body, signal) => sendBatch(resolved, { key, source: resolved.source, body }, signal, onRetry),
  };
}
