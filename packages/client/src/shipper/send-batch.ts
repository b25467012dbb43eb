import { backoffDelay } from './backoff.js';
import { type BatchRequest, type PostOutcome, postBatch } from './post-batch.js';
import type { ShipperEventMap } from './shipper-events.js';
import type { ResolvedShipperOptions } from './shipper-options.js';

/** How a batch's sending ended: stored, or refused for good. */
export type FinalOutcome = Exclude<PostOutcome, { kind: 'retry' }>;

/**
 * Sends one batch until the server acknowledges or refuses it: every failed attempt (network error,
 * timeout, 408, 429, 5xx) is reported to `onRetry` and repeated with the same key and body after a
 * backoff delay with jitter, or after the server's `Retry-After` when that is longer. Retries never
 * stop on their own; aborting `signal` (a close deadline) does, and then it resolves to undefined.
 */
export async function sendBatch(
  options: ResolvedShipperOptions,
  request: BatchRequest,
  signal: AbortSignal,
  onRetry: (retry: ShipperEventMap['retry']) => void,
): Promise<FinalOutcome | undefined> {
  for (let attempt = 1; !signal.aborted; attempt++) {
    const outcome = await postBatch(options, request, signal);
    if (signal.aborted) return undefined;
    if (outcome.kind !== 'retry') return outcome;
    const delayMs = Math.max(backoffDelay(attempt, options.retry), outcome.retryAfterMs ?? 0);
    const { kind: _kind, retryAfterMs: _after, ...detail } = outcome;
    onRetry({ attempt, delayMs, ...detail });
    await sleep(delayMs, signal);
  }
  return undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
