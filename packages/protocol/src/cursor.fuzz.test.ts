import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCursor, decodeCursor, encodeCursor, isValidStreamId, MAX_CURSOR_LENGTH } from './cursor.js';

/**
 * Property-based fuzzing of the cursor codec (issue 11, "Tests"): every generated text either decodes
 * to the one canonical cursor it spells or is refused as `malformed`, never an exception; every valid
 * cursor survives a round trip.
 */
const RUNS = 5000;
const streamId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const seq = fc.oneof(fc.nat({ max: 1000 }), fc.maxSafeNat());
/** Texts near the grammar: right pieces, wrong pieces, in any order. */
const nearCursor = fc
  .array(
    fc.oneof(
      streamId,
      fc.constantFrom(':', '::', '0', '00', '-1', '+1', '1e3', ' ', '\t', '\u0000', '9007199254740992', '٣', 'Ｓ', '\uD800'),
      fc.nat().map(String),
      fc.string({ maxLength: 4 }),
    ),
    { maxLength: 5 },
  )
  .map((parts) => parts.join(''));

describe('cursor codec under fuzzing', () => {
  it('decodes any text to its canonical cursor or refuses it as malformed, never throwing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 120 }), nearCursor), (text) => {
        const decoded = decodeCursor(text);
        if (decoded.ok) {
          expect(isValidStreamId(decoded.cursor.stream)).toBe(true);
          expect(Number.isSafeInteger(decoded.cursor.seq) && decoded.cursor.seq >= 0).toBe(true);
          // Strict grammar: the text is exactly the canonical spelling of what it decoded to.
          expect(encodeCursor(decoded.cursor)).toBe(text);
          expect(text.length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH);
        } else {
          expect(decoded).toEqual({ ok: false, reason: 'malformed' });
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('round-trips every valid cursor and orders cursors of one stream by seq', () => {
    fc.assert(
      fc.property(streamId, seq, seq, (stream, a, b) => {
        const text = encodeCursor({ stream, seq: a });
        expect(decodeCursor(text)).toEqual({ ok: true, cursor: { stream, seq: a } });
        expect(Math.sign(compareCursor({ stream, seq: a }, { stream, seq: b }))).toBe(Math.sign(a - b));
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses to encode what it could not decode, with a TypeError and nothing else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 70 }), fc.oneof(fc.integer(), fc.double()), (stream, value) => {
        let text: string;
        try {
          text = encodeCursor({ stream, seq: value });
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError);
          expect(isValidStreamId(stream) && Number.isSafeInteger(value) && value >= 0).toBe(false);
          return;
        }
        const decoded = decodeCursor(text);
        expect(decoded.ok && decoded.cursor.stream === stream).toBe(true);
        // -0 is accepted and spelled "0": equal as a number (===), which is what a seq is compared by.
        expect(decoded.ok && decoded.cursor.seq === value).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
