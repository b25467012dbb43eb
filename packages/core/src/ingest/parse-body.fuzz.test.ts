import { ERROR_CODES, isLevelName } from '@livelog/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NewEntry } from '../entry/new-entry.js';
import { isLivelogError } from '../errors.js';
import { DEFAULT_INGEST_LIMITS } from './ingest-limits.js';
import { checkSource } from './normalize-record.js';
import { type BodyFormat, parseBody } from './parse-body.js';

/**
 * Property-based fuzzing of the ingest parser (issue 11, "Tests"): thousands of generated bodies per
 * format, each either parsed into entries as documented or refused with a coded LivelogError, never
 * another exception, and never a change to the body it was given.
 */
const NOW = Date.UTC(2026, 0, 1);
const defaults = { source: 'app', level: 'info' as const, now: NOW };
const limits = { maxMessageBytes: 256, maxLineBytes: 4096, maxEntries: 200, maxDepth: 8 };
const RUNS = 2500;

/** What every accepted entry must be, whatever the body. */
function expectDocumentedEntry(entry: NewEntry): void {
  expect(Number.isFinite(entry.time)).toBe(true);
  // A producer time ahead of the receive time by more than the skew is replaced by the receive time.
  expect(entry.time).toBeLessThanOrEqual(NOW + DEFAULT_INGEST_LIMITS.maxFutureSkewMs);
  expect(isLevelName(entry.level)).toBe(true);
  expect(checkSource(entry.source)).toBe(entry.source);
  expect(typeof entry.msg).toBe('string');
  expect(Buffer.byteLength(entry.msg)).toBeLessThanOrEqual(limits.maxMessageBytes);
  if (entry.fields !== undefined) expect(typeof entry.fields).toBe('object');
}

/** Parses and checks the outcome: documented entries, or a coded LivelogError. */
function parseChecked(body: Buffer, format: BodyFormat): 'accepted' | string {
  const copy = Buffer.from(body);
  let outcome: 'accepted' | string;
  try {
    const entries = parseBody(body, { format, defaults, limits });
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.length).toBeLessThanOrEqual(limits.maxEntries);
    for (const entry of entries) expectDocumentedEntry(entry);
    outcome = 'accepted';
  } catch (error) {
    if (!isLivelogError(error)) throw new Error(`parseBody threw a non-LivelogError: ${String(error)}`, { cause: error });
    expect(Object.hasOwn(ERROR_CODES, error.code)).toBe(true);
    expect(error.code).toMatch(/^LIVELOG_ERR_INGEST_/);
    outcome = error.code;
  }
  expect(body.equals(copy)).toBe(true);
  return outcome;
}

/** Values a record's well-known keys may take, good and bad. */
const fieldValue = fc.oneof(
  fc.string(),
  fc.constantFrom('info', 'WARN', 'fatal', 'verbose', 'err', '', 'Error'),
  fc.integer({ min: -100, max: 100 }),
  fc.double(),
  fc.constantFrom(10, 20, 30, 40, 50, 60, 1e300, -0, Number.MAX_SAFE_INTEGER),
  fc.constantFrom('2024-05-01T12:00:00Z', '9999-12-31T23:59:59Z', 'yesterday', '0'),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
);
const record = fc.dictionary(
  fc.oneof(fc.constantFrom('msg', 'message', 'level', 'time', 'source'), fc.string({ maxLength: 8 })),
  fieldValue,
  {
    maxKeys: 6,
  },
);
/** A line of an NDJSON body: mostly records, sometimes anything JSON or not. */
const ndjsonLine = fc.oneof(
  { weight: 6, arbitrary: record.map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 12 }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', '{', '[]', 'null', '{"msg":"a"} trailing', '{"a":'.repeat(20)) },
);

describe('parseBody under fuzzing', () => {
  it.each(['ndjson', 'json', 'text'] as const)('%s: random bytes are parsed as documented or refused with a coded error', (format) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        parseChecked(Buffer.from(bytes), format);
      }),
      { numRuns: RUNS },
    );
  });

  it('ndjson: generated records and broken lines, with LF and CRLF line ends', () => {
    const outcomes = new Map<string, number>();
    fc.assert(
      fc.property(fc.array(ndjsonLine, { maxLength: 12 }), fc.boolean(), (lines, crlf) => {
        const outcome = parseChecked(Buffer.from(lines.join(crlf ? '\r\n' : '\n')), 'ndjson');
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }),
      { numRuns: RUNS },
    );
    // The generator reached both sides: accepted bodies and several kinds of refusal.
    expect(outcomes.get('accepted')).toBeGreaterThan(RUNS / 20);
    expect(outcomes.size).toBeGreaterThan(3);
  });

  it('json: records, arrays of records and deep nesting', () => {
    const body = fc.oneof(
      record.map((value) => JSON.stringify(value)),
      fc.array(record, { maxLength: 8 }).map((value) => JSON.stringify(value)),
      fc.integer({ min: 1, max: 40 }).map((depth) => `${'['.repeat(depth)}{"msg":"deep"}${']'.repeat(depth)}`),
      fc.jsonValue({ maxDepth: 10 }).map((value) => JSON.stringify(value)),
    );
    fc.assert(
      fc.property(body, (text) => {
        parseChecked(Buffer.from(text), 'json');
      }),
      { numRuns: RUNS },
    );
  });

  it('text: lines with levels, timestamps, traces, JSON and control characters', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom(
        '[ERROR] boom',
        'level=warn disk',
        '2024-05-01T12:00:00Z started',
        '    at f (file.js:1:2)',
        'Traceback (most recent call last):',
      ),
      ndjsonLine,
      fc.string({ unit: 'binary', maxLength: 40 }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 15 }), fc.constantFrom('\n', '\r\n', '\r'), (lines, end) => {
        parseChecked(Buffer.from(lines.join(end)), 'text');
      }),
      { numRuns: RUNS },
    );
  });
});
