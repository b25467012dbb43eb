import { type LogEntry, matchEntry, parseQuery, quoteQueryTerm, searchableParts } from '@livelog/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEntryBody, encodeEntryHead } from '../entry/encode-entry.js';
import type { NewEntry } from '../entry/new-entry.js';
import { PieceWords, queryWords, spell } from './search-tokens.js';

// The index may over-match but never under-match: every word a term asks for must be among the words
// of every entry the term matches, whichever way the entry's words were gathered (its ASCII JSON or
// its parsed searchable parts).
const stored = (entry: NewEntry, seq = 7): string => encodeEntryHead('stream', seq) + encodeEntryBody(entry);
const wordsOf = (...jsons: string[]): Set<string> => {
  const words = new PieceWords();
  for (const json of jsons) words.add(json);
  return new Set(
    words
      .take()
      .split(' ')
      .filter((word) => word !== ''),
  );
};
const asked = (term: string): string[] => queryWords(term).map(spell);
const entry = (msg: string, fields?: Record<string, unknown>, source = 'api'): NewEntry => ({
  time: 1_700_000_000_000,
  level: 'info',
  source,
  msg,
  ...(fields === undefined ? {} : { fields }),
});

describe('search index words', () => {
  it('holds every word a matching term asks for: escapes, folds, numbers, non-ASCII', () => {
    const cases: [NewEntry, string][] = [
      [entry('say "hello" now'), 'y "hel'],
      [entry('path C:\\temp\\x'), 'c:\\temp'],
      [entry('line one\nline two'), 'one\nline'],
      [entry('GET /API/Users'), 'api/users'],
      [entry('ok', { user: { id: 42, tags: ['Blue', true, null] } }), '42'],
      [entry('ok', { n: 1e21 }), '1e+21'],
      [entry('ok', { flag: true }), 'true'],
      [entry('Grüße aus Köln'), 'grüße'],
      [entry('ΟΔΟΣ ΟΔΟΣ'), 'οδο'],
      [entry('𝒳𝒴𝒵 emoji 🎉🎉'), '🎉🎉'],
      [entry('temperature 300 \u212Aelvin'), 'kelvin'],
      [entry('ok', undefined, 'Worker-7'), 'worker-7'],
      // Escaped by encodeEntryBody (readers that split at Unicode line breaks), so words skip them too.
      [entry('line\u2028sep para\u2029graph next\u0085line'), 'e\u2028sep'],
      [entry('ok', { k: 'a\u2029b' }), 'a\u2029b'],
    ];
    for (const [newEntry, term] of cases) {
      const json = stored(newEntry);
      const parsed = JSON.parse(json) as LogEntry;
      expect(matchEntry(parseQuery(quoteQueryTerm(term)), parsed), `${term} matches ${json}`).toBe(true);
      const words = wordsOf(json);
      for (const word of asked(term)) expect(words.has(word), `${term}: word ${word} of ${json}`).toBe(true);
    }
  });

  it('catches a planted fault: a term word taken across a JSON escape is not in the index', () => {
    // The words skip trigrams holding `"`: asking for one (as a careless query side would) misses.
    const json = stored(entry('say "hello"'));
    const plantedWord = spell(('y "'.charCodeAt(0) - 0x20) * 95 * 95 + ('y "'.charCodeAt(1) - 0x20) * 95 + ('y "'.charCodeAt(2) - 0x20));
    expect(wordsOf(json).has(plantedWord)).toBe(false);
    expect(asked('y "')).toEqual([]);
  });

  it('holds every word of every substring of every searchable part, for random entries', () => {
    const text = fc.string({
      unit: fc.constantFrom('a', 'B', '"', '\\', '\n', '\t', 'é', 'Σ', '\u212A', '😀', '\uD800', ' ', '1', '/', ':', '\u2028', '\u0085'),
      maxLength: 12,
    });
    const value: fc.Arbitrary<unknown> = fc.oneof(text, fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null));
    fc.assert(
      fc.property(
        fc.array(fc.record({ msg: text, source: text, fields: fc.dictionary(text, value, { maxKeys: 3 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        (records) => {
          const jsons = records.map((record, i) => stored(entry(record.msg, record.fields, record.source), i + 1));
          const words = wordsOf(...jsons);
          for (const json of jsons) {
            for (const part of searchableParts(JSON.parse(json) as LogEntry)) {
              for (let from = 0; from < part.length; from++) {
                for (let to = from + 3; to <= part.length; to++) {
                  for (const word of asked(part.slice(from, to))) if (!words.has(word)) return false;
                }
              }
            }
          }
          return true;
        },
      ),
      { numRuns: 400 },
    );
  });

  it('writes each distinct word of a piece once, and starts the next piece empty', () => {
    const json = stored(entry('abcabcabc'));
    const words = new PieceWords();
    words.add(json);
    words.add(json);
    const text = words.take().split(' ');
    expect(new Set(text).size).toBe(text.length);
    expect(words.take()).toBe('');
  });
});
