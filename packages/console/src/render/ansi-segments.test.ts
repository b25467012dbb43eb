import { describe, expect, it } from 'vitest';
import { ansiSegments, stripAnsi } from './ansi-segments.js';
import { createHighlighter, splitHighlights } from './highlight.js';

describe('ANSI SGR', () => {
  it('turns 16, 256 and truecolor runs with decorations into styled segments of plain text', () => {
    const segments = ansiSegments(
      '\u001b[31mred\u001b[0m \u001b[1;3;4mbiu\u001b[0m \u001b[38;5;208mx\u001b[0m \u001b[38;2;10;20;30mtc\u001b[0m \u001b[2mdim\u001b[0m',
    );
    expect(segments).toEqual([
      { text: 'red', fg: 'var(--ll-ansi-1)' },
      { text: ' ' },
      { text: 'biu', bold: true, italic: true, underline: true },
      { text: ' ' },
      { text: 'x', fg: 'rgb(255, 135, 0)' },
      { text: ' ' },
      { text: 'tc', fg: 'rgb(10, 20, 30)' },
      { text: ' ' },
      { text: 'dim', dim: true },
    ]);
  });

  it('keeps markup as text and strips escapes for copies', () => {
    expect(ansiSegments('\u001b[32m<img src=x onerror=alert(1)>\u001b[0m')).toEqual([
      { text: '<img src=x onerror=alert(1)>', fg: 'var(--ll-ansi-2)' },
    ]);
    expect(stripAnsi('\u001b[1mbold\u001b[0m and \u001b[Kplain')).toBe('bold and plain');
  });
});

describe('highlights', () => {
  it('marks the search and each term, earliest first, without overlaps', () => {
    const highlighter = createHighlighter(/time/i, 'out, req');
    expect(splitHighlights('req timeout', highlighter)).toEqual([
      { text: 'req', mark: 2 },
      { text: ' ' },
      { text: 'time', mark: 0 },
      { text: 'out', mark: 1 },
    ]);
    expect(splitHighlights('nothing here', createHighlighter(undefined, ''))).toEqual([{ text: 'nothing here' }]);
  });
});
