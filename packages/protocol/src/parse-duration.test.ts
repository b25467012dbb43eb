import { describe, expect, it } from 'vitest';
import { parseDuration } from './parse-duration.js';
import { parseSize } from './parse-size.js';
import { isDurationTooFarBack, parseTimePoint } from './parse-time.js';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['90s', 90_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['1h30m', 5_400_000],
    ['2d12h', 216_000_000],
    ['1m30s500ms', 90_500],
    ['1.5h', 5_400_000],
    [' 15S ', 15_000],
    ['500', 500],
    ['0', 0],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'h', '1h30', '-5s', '5 s', '1y', 'ten minutes', '1e3s', '.5s', '1h 30m', `${'9'.repeat(20)}w`])(
    '%j is no duration',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('parseSize', () => {
  it.each([
    ['512', 512],
    ['64KB', 65_536],
    ['64kib', 65_536],
    ['512MB', 536_870_912],
    ['1.5GiB', 1_610_612_736],
    ['2g', 2_147_483_648],
    ['10 MiB', 10_485_760],
  ])('%j is %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', 'MB', '5 PB', '-1KB', 'lots', '1e3'])('%j is no size', (text) => {
    expect(parseSize(text)).toBeUndefined();
  });
});

describe('parseTimePoint', () => {
  const now = Date.UTC(2024, 4, 1, 12);
  it.each([
    ['10m', now - 600_000],
    ['1h30m', now - 5_400_000],
    ['2d', now - 172_800_000],
    ['1714564800000', 1_714_564_800_000],
    ['2024-05-01T10:00:00Z', Date.UTC(2024, 4, 1, 10)],
  ])('%j is %d', (text, time) => {
    expect(parseTimePoint(text, now)).toBe(time);
  });

  it.each(['', 'yesterday', '1h30', 'May 1 2024', '1'.repeat(20)])('%j is no time', (text) => {
    expect(parseTimePoint(text, now)).toBeUndefined();
  });

  // Regression: a duration reaching back before 1970 was taken (a negative time) while `-1` was refused.
  it.each(['9999999d', '20000w', '999999999999999ms'])('%j reaches back too far', (text) => {
    expect(parseTimePoint(text, now)).toBeUndefined();
  });

  it('still takes a duration back to 1970 itself', () => {
    expect(parseTimePoint(`${now}ms`, now)).toBe(0);
    expect(isDurationTooFarBack('9999999d', now)).toBe(true);
    expect(isDurationTooFarBack('2d', now)).toBe(false);
    expect(isDurationTooFarBack('yesterday', now)).toBe(false);
  });
});
