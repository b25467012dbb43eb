import { describe, expect, it } from 'vitest';
import { compactFields, entryToText, formatClock } from '../render/format-line.js';
import { keyScrollsView, shortcutFor } from './keyboard-shortcuts.js';
import { permalinkId, permalinkUrl } from './permalink.js';

describe('permalinks, formats and shortcuts', () => {
  it('reads and writes #id= links, ignoring anything that is not a cursor', () => {
    expect(permalinkId('#id=abc:42')).toBe('abc:42');
    expect(permalinkId('#id=<script>')).toBeUndefined();
    expect(permalinkUrl('http://h/logs/?stream=api#old', 'abc:42')).toBe('http://h/logs/?stream=api#id=abc:42');
    // A copied link never carries the reader's token.
    expect(permalinkUrl('http://h/logs/?token=t&stream=api&q=x', 'abc:42')).toBe('http://h/logs/?stream=api&q=x#id=abc:42');
  });

  it('formats lines for copies and downloads', () => {
    const entry = {
      id: 's:1',
      seq: 1,
      time: Date.UTC(2024, 0, 2, 3, 4, 5, 6),
      level: 'warn',
      source: 'api',
      msg: '\u001b[31mslow\u001b[0m',
      fields: { ms: 900 },
    } as const;
    expect(entryToText(entry)).toBe('2024-01-02T03:04:05.006Z WARN  [api] slow {"ms":900}');
    expect(formatClock(entry.time, true)).toBe('03:04:05.006Z');
    expect(compactFields({ a: 'x', b: 'two words', c: { d: 1 } })).toBe('a=x b="two words" c={"d":1}');
  });

  it('maps keys to shortcuts, but not while typing', () => {
    const key = (k: string, extra: Partial<KeyboardEvent> = {}) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, ...extra });
    expect(shortcutFor(key('G'), false)).toBe('live');
    expect(shortcutFor(key('e'), true)).toBeUndefined();
    expect(shortcutFor(key('k', { ctrlKey: true }), true)).toBe('search');
    expect(shortcutFor(key('Escape'), true)).toBe('escape');
  });

  it('counts only the keys that scroll the view natively as the reader scrolling', () => {
    const key = (k: string, extra: Partial<KeyboardEvent> = {}) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, ...extra });
    expect(keyScrollsView(key('PageUp'))).toBe(true);
    expect(keyScrollsView(key('ArrowDown'))).toBe(true);
    expect(keyScrollsView(key(' '))).toBe(false);
    expect(keyScrollsView(key('End'))).toBe(false);
    expect(keyScrollsView(key('e'))).toBe(false);
    expect(keyScrollsView(key('ArrowUp', { altKey: true }))).toBe(false);
  });
});
