/** Options of waitFor. */
export interface WaitForOptions {
  /** Give up after this many ms. Defaults to 10,000. */
  timeoutMs?: number;
  /** Poll every this many ms. Defaults to 10. */
  intervalMs?: number;
  /** Said in the error when the condition is not met in time. */
  what?: string;
}

/** Resolves once `condition` returns a truthy value (its result), or rejects after the timeout. */
export async function waitFor<T>(condition: () => T | Promise<T>, options: WaitForOptions = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out waiting for ${options.what ?? 'a condition'}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 10));
  }
}

/** A promise resolved after `ms` (for pauses that are part of a scenario, never to wait for a result). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Options of waitForProgress. */
export interface WaitForProgressOptions {
  /** Fail once `progress` has not grown for this many ms. */
  stallMs: number;
  /** Fail after this many ms in all, progress or not: a wait is always bounded. */
  timeoutMs: number;
  /** Poll every this many ms. Defaults to 50. */
  intervalMs?: number;
  /** Said in the error. */
  what?: string;
}

/**
 * Resolves once `progress()` reaches `target`; rejects when it stood still for `stallMs` (a stall, the
 * failure worth reporting) or after `timeoutMs` in all. For work whose pace depends on the machine's
 * load (a loaded CI runner is many times slower than an idle one), where a fixed total limit would
 * fail slow-but-moving runs. The error says where it stood and the rate reached.
 */
export async function waitForProgress(progress: () => number, target: number, options: WaitForProgressOptions): Promise<void> {
  const started = Date.now();
  const first = progress();
  let last = first;
  let lastChange = started;
  for (;;) {
    const value = progress();
    const now = Date.now();
    if (value >= target) return;
    if (value !== last) {
      last = value;
      lastChange = now;
    }
    const stalled = now - lastChange > options.stallMs;
    if (stalled || now - started > options.timeoutMs) {
      const rate = Math.round(((last - first) * 1000) / Math.max(1, now - started));
      throw new Error(
        `${stalled ? `no progress for ${options.stallMs} ms` : `timed out after ${options.timeoutMs} ms`} waiting for ${options.what ?? 'progress'}: ` +
          `at ${last} of ${target} after ${now - started} ms (${rate}/s)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}
