import { describe, expect, it } from 'vitest';
import { type ColorFlag, useColor } from './color-mode.js';

describe('useColor', () => {
  // Regression: FORCE_COLOR=0 on a terminal still coloured (only a pipe was left plain), where Node
  // and chalk read it as "no colours".
  it('follows --color, then NO_COLOR, then FORCE_COLOR, then the terminal', () => {
    const cases: [ColorFlag, Record<string, string>, boolean, boolean][] = [
      ['always', { NO_COLOR: '1' }, false, true],
      ['never', { FORCE_COLOR: '1' }, true, false],
      ['auto', {}, true, true],
      ['auto', {}, false, false],
      ['auto', { TERM: 'dumb' }, true, false],
      ['auto', { NO_COLOR: '1' }, true, false],
      ['auto', { NO_COLOR: '' }, true, true],
      ['auto', { NO_COLOR: '1', FORCE_COLOR: '1' }, true, false],
      ['auto', { FORCE_COLOR: '1' }, false, true],
      ['auto', { FORCE_COLOR: '3' }, false, true],
      ['auto', { FORCE_COLOR: '' }, false, false],
      ['auto', { FORCE_COLOR: '' }, true, true],
      ['auto', { FORCE_COLOR: '0' }, true, false],
      ['auto', { FORCE_COLOR: 'false' }, true, false],
      ['auto', { FORCE_COLOR: '0' }, false, false],
    ];
    for (const [flag, env, isTTY, expected] of cases) {
      expect(useColor(flag, env, isTTY), `${flag} ${JSON.stringify(env)} tty=${isTTY}`).toBe(expected);
    }
  });
});
