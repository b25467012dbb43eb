import { describe, expect, it } from 'vitest';
import { waitForProgress } from './wait-for.js';

describe('waitForProgress', () => {
  it('waits as long as progress goes on, past the stall limit in all', async () => {
    let value = 0;
    const timer = setInterval(() => value++, 100);
    try {
      await waitForProgress(() => value, 30, { stallMs: 2000, timeoutMs: 60_000, intervalMs: 10 });
    } finally {
      clearInterval(timer);
    }
    expect(value).toBeGreaterThanOrEqual(30);
  });

  it('fails once progress stood still for stallMs, saying where it stood', async () => {
    await expect(waitForProgress(() => 3, 10, { stallMs: 50, timeoutMs: 5000, intervalMs: 5, what: 'x' })).rejects.toThrow(
      /no progress for 50 ms waiting for x: at 3 of 10/,
    );
  });

  it('fails after timeoutMs in all, even while progressing', async () => {
    let value = 0;
    await expect(waitForProgress(() => value++, 1e9, { stallMs: 1000, timeoutMs: 50, intervalMs: 5 })).rejects.toThrow(
      /timed out after 50 ms/,
    );
  });
});
