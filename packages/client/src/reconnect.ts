/**
 * How a stream waits between connection attempts. The reconnect rule, value by value:
 *
 * - The delay before attempt `n` (counting failures since the last healthy connection, from 0) is
 *   drawn uniformly from `[0, min(maxMs, baseMs * 2^n)]` ("full jitter"), so a fleet of readers cut
 *   by the same restart does not come back in lockstep.
 * - A connection that stayed open `healthyAfterMs` resets `n` to 0.
 * - A Retry-After from the server (429, 503) is a floor under the drawn delay.
 * - After `maxAttempts` failures in a row the stream gives up with a fatal `LIVELOG_CLIENT_ERR_GAVE_UP`.
 * - Fatal answers (401, 403, 400, a terminal close reason) stop the stream at once, whatever these say.
 */
export interface BackoffOptions {
  /**
   * Scale of the first delays, in ms. Defaults to the server's `retry:` field when it sends one
   * (livelog sends its `--retry`, 2 s by default), else 1,000. A value given here wins over the server's.
   */
  baseMs?: number;
  /** Largest delay, in ms. Defaults to 30,000. */
  maxMs?: number;
  /**
   * Attempts that may fail in a row (never reaching `hello`) before the stream gives up. Defaults to
   * Infinity: a reader never gives up by itself.
   */
  maxAttempts?: number;
  /** A connection open this long counts as healthy and resets the backoff, in ms. Defaults to 10,000. */
  healthyAfterMs?: number;
  /** Source of randomness in [0, 1). Defaults to Math.random. */
  random?: () => number;
}

/** Defaults of BackoffOptions. */
export const BACKOFF_DEFAULTS = {
  baseMs: 1000,
  maxMs: 30_000,
  maxAttempts: Number.POSITIVE_INFINITY,
  healthyAfterMs: 10_000,
} as const;

/** The upper bound of the jittered delay before attempt `attempt` (0-based). */
export function backoffCeiling(attempt: number, baseMs: number, maxMs: number): number {
  // 2^attempt overflows to Infinity for large attempts, which min() handles.
  return Math.min(maxMs, baseMs * 2 ** attempt);
}

/** Full-jitter exponential backoff state of one stream. */
export class Backoff {
  readonly #options: BackoffOptions;
  #serverBaseMs: number | undefined;
  #failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.#options = options;
  }

  /** Failed attempts since the last healthy connection. */
  get failures(): number {
    return this.#failures;
  }

  get baseMs(): number {
    return this.#options.baseMs ?? this.#serverBaseMs ?? BACKOFF_DEFAULTS.baseMs;
  }

  get maxMs(): number {
    return this.#options.maxMs ?? BACKOFF_DEFAULTS.maxMs;
  }

  get healthyAfterMs(): number {
    return this.#options.healthyAfterMs ?? BACKOFF_DEFAULTS.healthyAfterMs;
  }

  /** Attempts that may fail in a row (never reaching `hello`) before the stream gives up. */
  get maxAttempts(): number {
    return this.#options.maxAttempts ?? BACKOFF_DEFAULTS.maxAttempts;
  }

  /** The server's `retry:` field: the base unless the caller set one. */
  setServerRetry(ms: number): void {
    this.#serverBaseMs = ms;
  }

  /** Counts a failed attempt and returns the delay to wait before the next one. */
  fail(retryAfterMs?: number): number {
    const ceiling = backoffCeiling(this.#failures, this.baseMs, this.maxMs);
    this.#failures++;
    const drawn = Math.floor((this.#options.random ?? Math.random)() * (ceiling + 1));
    return retryAfterMs === undefined ? drawn : Math.max(drawn, retryAfterMs);
  }

  reset(): void {
    this.#failures = 0;
  }
}
