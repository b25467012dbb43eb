import type { LogEntry } from '@livelog/protocol';
import type { TemplateResult } from 'lit';
import { describe, expect, it } from 'vitest';
import { createHighlighter } from './highlight.js';
import { RowCache } from './row-cache.js';

const entry = (seq: number, msg = `m${seq}`): LogEntry => ({
  id: `s:${seq}`,
  seq,
  time: Date.UTC(2024, 0, 2, 3, 4, 5, 678),
  level: 'info',
  source: 'api',
  msg,
});

/** The strings a template shows, its nested templates' included: what the row would read. */
function text(value: unknown): string {
  if (Array.isArray(value)) return value.map(text).join('');
  if (typeof value === 'object' && value !== null && 'strings' in value) {
    const result = value as TemplateResult;
    return result.values.map(text).join('|');
  }
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/** How many highlight marks a template holds, its nested templates' included. */
function marks(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + marks(item), 0);
  if (typeof value === 'object' && value !== null && 'strings' in value) {
    const result = value as TemplateResult;
    return (result.strings.join('').includes('<mark') ? 1 : 0) + marks(result.values);
  }
  return 0;
}

describe('RowCache', () => {
  it('renders a line once and returns the same content while UTC and the highlighter stay', () => {
    const cache = new RowCache();
    const highlighter = createHighlighter(undefined, '');
    const line = entry(1);
    const first = cache.content(line, false, highlighter);
    expect(cache.content(line, false, highlighter)).toBe(first);
    expect(cache.content(entry(1), false, highlighter)).not.toBe(first);
    expect(cache.size).toBe(2);
  });

  it('starts afresh when the UTC toggle changes: the time is shown in the other zone', () => {
    const cache = new RowCache();
    const highlighter = createHighlighter(undefined, '');
    const line = entry(1);
    const local = cache.content(line, false, highlighter);
    const utc = cache.content(line, true, highlighter);
    expect(utc).not.toBe(local);
    expect(text(utc)).toContain('03:04:05.678Z');
    expect(cache.size).toBe(1);
    expect(cache.content(line, true, highlighter)).toBe(utc);
  });

  it('starts afresh when the highlighter changes (search or highlight terms): marks follow the new terms', () => {
    const cache = new RowCache();
    const line = entry(1, 'disk full on db-1');
    const plain = cache.content(line, false, createHighlighter(undefined, ''));
    const marked = cache.content(line, false, createHighlighter(undefined, 'disk'));
    expect(marked).not.toBe(plain);
    expect(marks(plain)).toBe(0);
    expect(marks(marked)).toBe(1);
    expect(marks(cache.content(line, false, createHighlighter(/full|db/i, 'disk')))).toBe(3);
  });

  it('keeps at most its limit of lines, dropping the oldest first', () => {
    const cache = new RowCache(3);
    const highlighter = createHighlighter(undefined, '');
    const lines = [1, 2, 3, 4].map((seq) => entry(seq));
    const first = lines.map((line) => cache.content(line, false, highlighter));
    expect(cache.size).toBe(3);
    expect(cache.content(lines[3] as LogEntry, false, highlighter)).toBe(first[3]);
    expect(cache.content(lines[0] as LogEntry, false, highlighter)).not.toBe(first[0]);
  });
});
