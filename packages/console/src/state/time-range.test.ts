import { describe, expect, it } from 'vitest';
import { absoluteRange, fromLocalInput, isBounded, rangeLabel, relativeMs, resolveTime, sameRange, toLocalInput } from './time-range.js';

const NOW = Date.UTC(2026, 11, 6, 14, 2, 0);

describe('time ranges', () => {
  it('reads the forms the server takes: relative, epoch ms and ISO 8601', () => {
    expect(relativeMs('15m')).toBe(900_000);
    expect(relativeMs('1h30m')).toBe(5_400_000);
    expect(relativeMs('15 m')).toBeUndefined();
    expect(resolveTime('15m', NOW)).toBe(NOW - 900_000);
    expect(resolveTime(String(NOW), NOW)).toBe(NOW);
    expect(resolveTime('2026-12-06T14:02:00Z', 0)).toBe(NOW);
    expect(resolveTime('yesterday', NOW)).toBeUndefined();
    expect(resolveTime(undefined, NOW)).toBeUndefined();
  });

  it('reads bounds with the protocol grammar the server uses, nothing looser (issue 9 item 6)', () => {
    expect(relativeMs('1.5h')).toBe(5_400_000);
    expect(relativeMs('2D12H')).toBe(216_000_000);
    expect(relativeMs('1500')).toBeUndefined();
    expect(resolveTime('1.5h', NOW)).toBe(NOW - 5_400_000);
    expect(resolveTime('2026-12-06 14:02:00Z', 0)).toBe(NOW);
    // Digits are always epoch ms, as on the server, however short.
    expect(resolveTime('1500', NOW)).toBe(1500);
    // Date.parse would take these; the server does not, so neither does the picker.
    expect(resolveTime('Dec 6 2026', NOW)).toBeUndefined();
    expect(resolveTime('  ', NOW)).toBeUndefined();
    expect(rangeLabel({ since: '1.5h' }, true)).toBe('Last 1.5h');
  });

  it('orders a brush either way and says when a range has an end', () => {
    expect(absoluteRange(NOW, NOW - 60_000)).toEqual({ since: '2026-12-06T14:01:00.000Z', until: '2026-12-06T14:02:00.000Z' });
    expect(isBounded({ since: '1h' })).toBe(false);
    expect(isBounded(absoluteRange(0, 1))).toBe(true);
    // A brush narrower than a millisecond still gives until after since (the server refuses until ≤ since).
    expect(absoluteRange(NOW + 0.2, NOW + 0.7)).toEqual({ since: '2026-12-06T14:02:00.000Z', until: '2026-12-06T14:02:00.001Z' });
    expect(sameRange({}, { since: '', until: '' })).toBe(true);
    expect(sameRange({ since: '1h' }, { since: '15m' })).toBe(false);
  });

  it('labels presets, relative and absolute ranges', () => {
    expect(rangeLabel({}, true)).toBe('All time');
    expect(rangeLabel({ since: '1h' }, true)).toBe('Last hour');
    expect(rangeLabel({ since: '2h' }, true)).toBe('Last 2h');
    expect(rangeLabel(absoluteRange(NOW - 60_000, NOW), true)).toBe('2026-12-06 14:01:00Z → 2026-12-06 14:02:00Z');
    expect(rangeLabel({ since: '2026-12-06T14:01:00Z' }, true)).toBe('2026-12-06 14:01:00Z → now');
  });

  it('round-trips a datetime-local value', () => {
    const local = toLocalInput(NOW);
    expect(fromLocalInput(local)).toBe(new Date(NOW).toISOString());
    expect(fromLocalInput('')).toBeUndefined();
  });
});
