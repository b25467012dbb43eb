import { describe, expect, it } from 'vitest';
import { Backoff, backoffCeiling } from './reconnect.js';

describe('Backoff (full jitter)', () => {
  it('doubles the ceiling per failure up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 60].map((attempt) => backoffCeiling(attempt, 100, 1000))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('draws each delay uniformly between 0 and the ceiling', () => {
    const low = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    const high = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5].map(() => low.fail())).toEqual([0, 0, 0, 0, 0]);
    expect([1, 2, 3, 4, 5].map(() => high.fail())).toEqual([100, 200, 400, 800, 1000]);
  });

  it('takes Retry-After as a floor, and starts over after reset()', () => {
    const backoff = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    expect(backoff.fail(5000)).toBe(5000);
    backoff.fail();
    expect(backoff.failures).toBe(2);
    backoff.reset();
    expect(backoff.failures).toBe(0);
  });

  it("uses the server's retry: as base unless the caller chose one", () => {
    const fromServer = new Backoff();
    fromServer.setServerRetry(40);
    expect(fromServer.baseMs).toBe(40);
    const chosen = new Backoff({ baseMs: 7 });
    chosen.setServerRetry(40);
    expect(chosen.baseMs).toBe(7);
    expect(new Backoff().baseMs).toBe(1000);
  });
});
