import type { LogEntry } from '@livelog/protocol';
import { describe, expect, it } from 'vitest';
import { LineRate } from './line-rate.js';

const batch = (from: number, to: number): LogEntry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ id: `s:${from + i}`, seq: from + i, time: 0, level: 'info', source: 'a', msg: '' }));

describe('LineRate', () => {
  it('counts only lines after the head the hello named, over a sliding window', () => {
    const rate = new LineRate(5000);
    rate.arrived(batch(1, 100), 0);
    expect(rate.perSecond(0)).toBe(0);
    rate.since(1000, 0);
    // The tail and a replay are at or below the head: history, not arrivals.
    rate.arrived(batch(1, 1000), 10);
    expect(rate.perSecond(10)).toBe(0);
    rate.arrived(batch(1001, 1010), 2000);
    // Younger than the window: divided by its age (2 s).
    expect(rate.perSecond(2000)).toBe(5);
    rate.arrived(batch(1011, 1020), 6000);
    expect(rate.perSecond(6000)).toBe(4);
    // The first 10 left the window.
    expect(rate.perSecond(7001)).toBe(2);
    expect(rate.perSecond(11_001)).toBe(0);
  });

  it('knows nothing while not connected, and a new hello starts afresh', () => {
    const rate = new LineRate(5000);
    rate.since(0, 0);
    rate.arrived(batch(1, 50), 3000);
    expect(rate.perSecond(3000)).toBeCloseTo(50 / 3);
    rate.stop();
    expect(rate.perSecond(3500)).toBe(0);
    rate.arrived(batch(51, 60), 3600);
    expect(rate.perSecond(3600)).toBe(0);
    rate.since(60, 4000);
    expect(rate.perSecond(4000)).toBe(0);
    // One early line is not a burst: at least a second's span.
    rate.arrived(batch(61, 61), 4010);
    expect(rate.perSecond(4010)).toBe(1);
  });
});
