import { checkSource, isLivelogError } from '@livelog/core';
import { ERROR_CODES, isLevelName } from '@livelog/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCursorParam, parseFilter, parseIntParam, parseSince, parseStart } from './query-params.js';

/**
 * Property-based fuzzing of the query-parameter parser (issue 11, "Tests"): thousands of generated
 * query strings, each parsed into what docs/reference/sse-protocol.md and http-api.md document or
 * refused with a coded LivelogError (400 or 409), never another exception.
 */
const RUNS = 3000;
const NAMES = ['level', 'source', 'q', 'since', 'tail', 'from', 'lastEventId', 'last_event_id', 'limit', 'after', 'before', 'other'];
const value = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('warn', 'ERROR', 'fatal', 'all', 'start', 'end', 'now', '10m', '1h30m', '0', '10000000', '10000001', '-1', '1e3'),
  fc.constantFrom('2024-05-01T12:00:00Z', '1714564800000', 'a,b,,c', 'x'.repeat(1001), 'abc:12', 'abc:-1', 'abc:0012', '\u202Eevil'),
  fc.nat().map(String),
);
/** A raw query string: known and unknown names, repeated names, and percent-encoding of anything. */
const query = fc
  .array(fc.tuple(fc.constantFrom(...NAMES), value), { maxLength: 6 })
  .map((pairs) => pairs.map(([name, text]) => `${name}=${encodeURIComponent(text)}`).join('&'));
const rawQuery = fc.oneof(
  query,
  fc.string({ maxLength: 60 }),
  query.map((text) => `${text}&%zz=%`),
);

/** Runs `parse`; a refusal must be a coded LivelogError with a 4xx status. */
function accepted<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!isLivelogError(error)) throw new Error(`a non-LivelogError escaped: ${String(error)}`, { cause: error });
    expect(Object.hasOwn(ERROR_CODES, error.code)).toBe(true);
    expect([400, 409]).toContain(error.statusCode);
    return undefined;
  }
}

describe('query parameters under fuzzing', () => {
  it('parseFilter: level, sources and q as documented, or a coded refusal', () => {
    fc.assert(
      fc.property(rawQuery, (text) => {
        const filter = accepted(() => parseFilter(new URLSearchParams(text)));
        if (filter === undefined) return;
        if (filter.level !== undefined) expect(isLevelName(filter.level)).toBe(true);
        if (filter.sources !== undefined) {
          expect(filter.sources.length).toBeGreaterThan(0);
          expect(filter.sources.length).toBeLessThanOrEqual(100);
          expect(new Set(filter.sources).size).toBe(filter.sources.length);
          for (const source of filter.sources) expect(checkSource(source)).toBe(source);
        }
        // A q that parses is a query of the language, never the match-everything of a blank one.
        if (filter.query !== undefined) expect(filter.query.type).not.toBe('all');
      }),
      { numRuns: RUNS },
    );
  });

  it('parseStart: one of the documented start positions, or a coded refusal', () => {
    fc.assert(
      fc.property(rawQuery, fc.option(fc.string({ maxLength: 40 }), { nil: undefined }), (text, header) => {
        const start = accepted(() => parseStart(new URLSearchParams(text), header));
        if (start === undefined) return;
        if (start.tail !== undefined) expect(Number.isInteger(start.tail) && start.tail >= 0 && start.tail <= 10_000_000).toBe(true);
        if (start.since !== undefined) expect(Number.isFinite(start.since)).toBe(true);
        if (start.lastEventId !== undefined) expect(typeof start.lastEventId).toBe('string');
        if (start.fromStart !== undefined) expect(start.fromStart).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('parseSince, parseIntParam and parseCursorParam: a value in range or a coded refusal', () => {
    fc.assert(
      fc.property(value, (text) => {
        const since = accepted(() => parseSince(text, Date.UTC(2026, 0, 1)));
        if (since !== undefined) expect(Number.isFinite(since)).toBe(true);
        const limit = accepted(() => parseIntParam(new URLSearchParams({ limit: text }), 'limit', 1, 1000, 200));
        if (limit !== undefined) expect(Number.isInteger(limit) && limit >= 1 && limit <= 1000).toBe(true);
        const cursor = accepted(() => parseCursorParam('after', text, 'abc'));
        if (cursor !== undefined) expect(cursor.stream).toBe('abc');
      }),
      { numRuns: RUNS },
    );
  });
});
