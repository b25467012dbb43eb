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
