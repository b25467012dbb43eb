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
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29', Date.UTC(2000, 1, 29)],
    ['2024-12-31T23:59:59.999Z', Date.UTC(2024, 11, 31, 23, 59, 59, 999)],
    // Leap seconds (RFC 3339 time-second 60) read as the second before, like a text line's timestamp.
    ['2016-12-31T23:59:60Z', Date.UTC(2016, 11, 31, 23, 59, 59)],
    ['2016-12-31T23:59:60.5Z', Date.UTC(2016, 11, 31, 23, 59, 59, 500)],
    ['2017-01-01T00:59:60+01:00', Date.UTC(2016, 11, 31, 23, 59, 59)],
    ['2016-12-31 23:59:60,25Z', Date.UTC(2016, 11, 31, 23, 59, 59, 250)],
  ])('%j → %d', (value, expected) => {
    expect(parseTime(value)).toBe(expected);
  });

  // Regression: days past the end of their month were read as days of the next (2024-02-30 as March 1st).
  it.each([
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    1e20,
    'soon',
    'May 1 2024',
    '2024-05-01T25:00:00Z',
    '2024-05-01T12:00:61Z',
    '2024-05-01T12:60:00Z',
    '2024-02-30T00:00:00Z',
    '2023-02-29',
    '1900-02-29',
    '2024-04-31 12:00:00',
    '2024-00-10',
    '2024-01-00',
    true,
    null,
    {},
    '1'.repeat(50),
  ])('%j is no time', (value) => {
    expect(parseTime(value)).toBeUndefined();
  });
});
