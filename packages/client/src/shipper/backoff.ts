import type { RetryOptions } from './shipper-options.js';

/** Longest wait a `Retry-After` header can impose, so a bad header cannot park a shipper for days. */
export const MAX_RETRY_AFTER_MS = 5 * 60 * 1000;

/**
 * Delay before retry number `attempt` (1 for the first retry): exponential, capped, with jitter.
 * `random` returns a number in [0, 1).
 */
export function backoffDelay(attempt: number, retry: Required<RetryOptions>, random: () => number = Math.random): number {
  const exponential = retry.initialDelayMs * retry.multiplier ** Math.max(0, attempt - 1);
  const capped = Math.min(retry.maxDelayMs, exponential);
  return Math.round(capped * (1 - retry.jitter * random()));
}

/**
 * The wait a `Retry-After` header asks for, in ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable; never negative; at most MAX_RETRY_AFTER_MS.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    const date = Date.parse(text);
    if (Number.isNaN(date)) return undefined;
    ms = date - now;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}
