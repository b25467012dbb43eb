import { describe, expect, it } from 'vitest';
import { recognizeLevel } from './recognize-level.js';

describe('recognizeLevel', () => {
  it.each([
    ['[ERROR] disk full', 'error'],
    ['[ warn ] slow', 'warn'],
    ['level=warn msg=x', 'warn'],
    ['ts=1 lvl=debug', 'debug'],
    ['severity=ERROR something', 'error'],
    ['level: "fatal"', 'fatal'],
    ['level=50', 'error'],
    ['WARN: disk', 'warn'],
    ['ERROR something broke', 'error'],
    ['Error: ENOENT', 'error'],
    ['info: listening on 3000', 'info'],
    ['WARNING:root:deprecated', 'warn'],
    ['2024-05-01 12:00:00.123 INFO started', 'info'],
    ['2024-05-01T12:00:00Z DEBUG x', 'debug'],
    ['E0102 15:04:05.000000 1 main.go:3] boom', 'error'],
    ['W0102 15:04:05.000000 1 main.go:3] hmm', 'warn'],
    ['\u001b[31mERROR\u001b[0m colored', 'error'],
    ['<crit> kernel', 'fatal'],
  ])('%j → %s', (line, level) => {
    expect(recognizeLevel(line)).toBe(level);
  });

  it.each(['just a line', 'information about errors ahead', 'the warning was ignored', 'Informational text', ''])(
    '%j states no level',
    (line) => {
      expect(recognizeLevel(line)).toBeUndefined();
    },
  );
});
