import { describe, expect, it } from 'vitest';
import { isLevelName, levelFromNumber } from './levels.js';

describe('levels', () => {
  it('maps pino numbers, custom ones down to the nearest standard level', () => {
    expect(levelFromNumber(10)).toBe('trace');
    expect(levelFromNumber(30)).toBe('info');
    expect(levelFromNumber(35)).toBe('info');
    expect(levelFromNumber(60)).toBe('fatal');
    expect(levelFromNumber(100)).toBe('fatal');
    expect(levelFromNumber(1)).toBe('trace');
  });
  it('knows only the six names', () => {
    expect(isLevelName('warn')).toBe(true);
    expect(isLevelName('WARN')).toBe(false);
    expect(isLevelName('toString')).toBe(false);
  });
});
