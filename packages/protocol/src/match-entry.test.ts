import { describe, expect, it } from 'vitest';
import { matchEntry, type SearchableEntry } from './match-entry.js';
import { MAX_FIELD_PATH_SEGMENTS, parseQuery } from './parse-query.js';

/** An entry whose `fields` counts how often its keys are listed: once per walk of every field. */
function countingEntry(fields: Record<string, unknown>): { entry: SearchableEntry; walks: () => number } {
  let walks = 0;
  const counted = new Proxy(fields, {
    ownKeys(target) {
      walks++;
      return Reflect.ownKeys(target);
    },
  });
  return { entry: { msg: 'disk full on /var', source: 'api', level: 'error', fields: counted }, walks: () => walks };
}

describe('matchEntry cost', () => {
  // Regression: every word of a query gathered and lower-cased the entry's whole text again, so a
  // 4 KiB query of 400 words over one entry of 90,000 fields held the server's event loop for 32 s.
  it('walks the fields of an entry once per call, however many words the query has', () => {
    const { entry, walks } = countingEntry({ a: 'x', b: { c: 'y' } });
    const words = Array.from({ length: 50 }, (_, i) => `nomatch${i}`).join(' OR ');
    expect(matchEntry(parseQuery(words), entry)).toBe(false);
    expect(walks()).toBe(1);
    expect(matchEntry(parseQuery(`${words} OR y`), entry)).toBe(true);
  });

  it('reads neither the fields nor the other parts for msg: and source: terms', () => {
    const { entry, walks } = countingEntry({ a: 'full' });
    expect(matchEntry(parseQuery('msg:full source:API msg:/var'), entry)).toBe(true);
    expect(walks()).toBe(0);
  });

  it('never matches a phrase across two parts of an entry, NUL in it or not', () => {
    const entry: SearchableEntry = { msg: 'ab', source: 'cd', level: 'info', fields: { k: 'e\u0000f' } };
    expect(matchEntry({ type: 'text', value: 'b\u0000c', quoted: true }, entry)).toBe(false);
    expect(matchEntry({ type: 'text', value: 'E\u0000F', quoted: true }, entry)).toBe(true);
    expect(matchEntry({ type: 'text', value: 'bc', quoted: true }, entry)).toBe(false);
    expect(matchEntry({ type: 'text', value: 'fo', quoted: true }, { ...entry, msg: 'foo\u0000bar' })).toBe(true);
  });

  it('finds literal dotted keys at any depth of a long path', () => {
    const entry: SearchableEntry = { msg: '', source: 'api', level: 'info', fields: { a: { 'b.c': [{ d: { 'e.f.g': 7 } }] } } };
    expect(matchEntry(parseQuery('a.b.c.d.e.f.g:7'), entry)).toBe(true);
    expect(matchEntry(parseQuery('fields.a.b.c.d.e.f.g:>6'), entry)).toBe(true);
    expect(matchEntry(parseQuery('a.b.c.d.e.f:7'), entry)).toBe(false);
  });
});

describe('field paths', () => {
  it(`reads a field name of ${MAX_FIELD_PATH_SEGMENTS} parts and refuses one of more, at its position`, () => {
    const longest = `${'a.'.repeat(MAX_FIELD_PATH_SEGMENTS - 1)}a`;
    expect(parseQuery(`${longest}:1`)).toMatchObject({ type: 'field' });
    expect(parseQuery(`fields.${longest}:1`)).toMatchObject({ type: 'field' });
    expect(() => parseQuery(`x ${longest}.a:1`)).toThrow(/more than 32 dot-separated parts \(at position 2\)/);
  });
});
