import { describe, expect, it } from 'vitest';
import { parseTime } from './parse-time.js';

describe('parseTime', () => {
  it.each([
    [1732780000123, 1732780000123],
    [1732780000123.9, 1732780000123],
    ['1732780000123', 1732780000123],
    ['2024-05-01T12:00:00Z', Date.UTC(2024, 4, 1, 12)],
    ['2024-05-01T12:00:00.5+02:00', Date.UTC(2024, 4, 1, 10, 0, 0, 500)],
    ['2024-05-01 12:00:00,250Z', Date.UTC(2024, 4, 1, 12, 0, 0, 250)],
    ['2024-05-01', Date.UTC(2024, 4, 1)],
  ])('%j → %d', (value, expected) => {
    expect(parseTime(value)).toBe(expected);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, 1e20, 'soon', 'May 1 2024', '2024-05-01T25:00:00Z', true, null, {}, '1'.repeat(50)])(
    '%j is no time',
    (value) => {
      expect(parseTime(value)).toBeUndefined();
    },
  );
});
