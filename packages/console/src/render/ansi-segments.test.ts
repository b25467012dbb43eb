import { describe, expect, it } from 'vitest';
import { compileFilter, EMPTY_FILTER } from '../state/line-filter.js';
import { ansiSegments, stripAnsi } from './ansi-segments.js';
import { createHighlighter, splitHighlights } from './highlight.js';

describe('ANSI SGR', () => {
  it('maps each of the 16 standard foregrounds to its own theme color (regression: white 37 stayed literal #fff)', () => {
    const codes = [30, 31, 32, 33, 34, 35, 36, 37, 90, 91, 92, 93, 94, 95, 96, 97];
    const colors = codes.map((code) => ansiSegments(`\u001b[${code}mx\u001b[0m`)[0]?.fg);
    expect(colors).toEqual(codes.map((_, index) => `var(--ll-ansi-${index})`));
    const backgrounds = codes.map((code) => ansiSegments(`\u001b[${code + 10}mx\u001b[0m`)[0]?.bg);
    expect(backgrounds).toEqual(codes.map((_, index) => `var(--ll-ansi-${index})`));
  });

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

  it('marks whole emoji with a u search, and steps over them on empty matches', () => {
    const search = compileFilter({ ...EMPTY_FILTER, text: 'x.', regex: true }).pattern;
    expect(splitHighlights('x😀y', createHighlighter(search, ''))).toEqual([{ text: 'x😀', mark: 0 }, { text: 'y' }]);
    const letters = compileFilter({ ...EMPTY_FILTER, text: '\\p{L}+', regex: true }).pattern;
    expect(splitHighlights('42 Größe', createHighlighter(letters, ''))).toEqual([{ text: '42 ' }, { text: 'Größe', mark: 0 }]);
    // An empty match before an emoji must not loop forever on its second half.
    const empty = compileFilter({ ...EMPTY_FILTER, text: 'z*', regex: true }).pattern;
    expect(splitHighlights('😀z', createHighlighter(empty, ''))).toEqual([{ text: '😀' }, { text: 'z', mark: 0 }]);
  });
});
