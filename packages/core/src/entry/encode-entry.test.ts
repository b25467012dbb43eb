import { describe, expect, it } from 'vitest';
import { encodeEntry, encodeEntryBody, encodeEntryHead, toLogEntry } from './encode-entry.js';
import type { NewEntry } from './new-entry.js';

describe('encodeEntry', () => {
  it.each<[string, NewEntry]>([
    ['a plain line', { time: 1732780000123, level: 'info', source: 'api', msg: 'hello' }],
    ['escapes', { time: 0, level: 'warn', source: 'we"b\\', msg: 'q"uote\n\r\t\u0000\u001b[31m 🦊 \ud800' }],
    ['fields', { time: 5, level: 'error', source: 's', msg: '', fields: { a: [1, { b: null }], 'k"ey': 'v', n: 1.5 } }],
    ['marks', { time: 7, level: 'fatal', source: 's', msg: 'p', invalidUtf8: true, part: { index: 2, count: 3 } }],
    ['a fractional time', { time: 1.5, level: 'debug', source: 's', msg: 'x' }],
  ])('equals JSON.stringify(toLogEntry(...)) for %s', (_name, entry) => {
    expect(encodeEntry('k3x9', 42, entry)).toBe(JSON.stringify(toLogEntry('k3x9', 42, entry)));
  });

  it('is its head and its body, the halves a store that assigns seqs elsewhere writes apart', () => {
    const entry: NewEntry = { time: 3, level: 'info', source: 's', msg: 'm', fields: { a: 1 } };
    expect(encodeEntryHead('k3x9', 7)).toBe('{"id":"k3x9:7","seq":7,');
    expect(encodeEntryBody(entry)).toBe('"time":3,"level":"info","source":"s","msg":"m","fields":{"a":1}}');
    expect(encodeEntryHead('k3x9', 7) + encodeEntryBody(entry)).toBe(encodeEntry('k3x9', 7, entry));
  });

  // Regression: JSON.stringify leaves U+0085, U+2028 and U+2029 raw, and readers that split decoded text
  // at Unicode line breaks (Python's str.splitlines) cut the entry's data line in two.
  it('writes U+0085, U+2028 and U+2029 as escapes: the same value, and no line break for any reader', () => {
    const entry: NewEntry = { time: 1, level: 'info', source: 'a\u2029b', msg: 'x\u2028y\u0085z', fields: { k: ['\u2028'] } };
    const json = encodeEntry('k3x9', 1, entry);
    expect(json).not.toMatch(/[\u0085\u2028\u2029]/);
    expect(json).toContain('"msg":"x\\u2028y\\u0085z"');
    expect(JSON.parse(json)).toEqual(toLogEntry('k3x9', 1, entry));
  });

  it('throws for fields JSON cannot carry, before any store writes', () => {
    expect(() => encodeEntryBody({ time: 1, level: 'info', source: 's', msg: 'm', fields: { n: 1n } })).toThrow(TypeError);
  });
});
