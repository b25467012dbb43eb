import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseDecoder, type SseEvent } from './sse-decoder.js';

/**
 * Property-based fuzzing of the client's SSE decoder (issue 11, "Tests"): thousands of generated
 * streams, near the grammar and far from it, split into chunks anywhere (inside CRLFs and UTF-8
 * characters). The decoder has nothing to refuse: it must never throw, must report the same events
 * however the bytes are split, and what it reports must be what the WHATWG rules allow.
 */
const RUNS = 3000;

function decodeAll(chunks: readonly Uint8Array[]): { events: SseEvent[]; ids: string[]; lastEventId: string } {
  const events: SseEvent[] = [];
  const ids: string[] = [];
  const decoder = new SseDecoder({ onEvent: (event) => events.push(event), onEmptyDispatch: (id) => ids.push(id) });
  for (const chunk of chunks) decoder.feed(chunk);
  return { events, ids, lastEventId: decoder.lastEventId };
}

/** Splits `bytes` at the given cut points. */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

const lineEnd = fc.constantFrom('\n', '\r\n', '\r');
const line = fc.oneof(
  fc
    .tuple(fc.constantFrom('data', 'id', 'event', 'retry', 'dat', 'ID', ''), fc.constantFrom(':', ': ', ''), fc.string({ maxLength: 12 }))
    .map(([field, colon, text]) => `${field}${colon}${text}`),
  fc.string({ maxLength: 10 }).map((text) => `:${text}`),
  fc.constant(''),
  fc.string({ unit: 'binary', maxLength: 10 }),
);
const stream = fc
  .tuple(fc.boolean(), fc.array(fc.tuple(line, lineEnd), { maxLength: 20 }))
  .map(([bom, lines]) => new TextEncoder().encode((bom ? '\uFEFF' : '') + lines.map(([text, end]) => text + end).join('')));

describe('SseDecoder under fuzzing', () => {
  it('never throws and reports the same events however the bytes are split', () => {
    fc.assert(
      fc.property(fc.oneof(stream, fc.uint8Array({ maxLength: 300 })), fc.array(fc.nat(), { maxLength: 12 }), (bytes, cuts) => {
        const whole = decodeAll([bytes]);
        const pieces = decodeAll(split(bytes, cuts));
        const bytewise = decodeAll(Array.from(bytes, (byte) => Uint8Array.of(byte)));
        expect(pieces).toEqual(whole);
        expect(bytewise).toEqual(whole);
      }),
      { numRuns: RUNS },
    );
  });

  it('reports only what the rules allow: no line breaks in ids or types, no NUL in ids, data only from data lines', () => {
    fc.assert(
      fc.property(stream, (bytes) => {
        const { events, ids, lastEventId } = decodeAll([bytes]);
        for (const event of events) {
          expect(event.type).not.toMatch(/[\r\n]/);
          expect(event.lastEventId).not.toMatch(/[\r\n\0]/);
          expect(event.data).not.toMatch(/\r/);
          expect(event.type.length).toBeGreaterThan(0);
        }
        for (const id of ids) expect(id).not.toMatch(/[\r\n\0]/);
        expect(lastEventId).not.toMatch(/[\r\n\0]/);
        // Without a `data` field line nothing can be dispatched as an event.
        if (!new TextDecoder().decode(bytes).includes('data')) expect(events).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('decodes a well-formed livelog stream to exactly its entries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 30 })), { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (entries, cuts) => {
          let text = 'event: hello\ndata: {}\n\n';
          for (const [seq, msg] of entries) text += `id: s:${seq}\ndata: ${JSON.stringify({ msg })}\n\n: hb\n\n`;
          const { events } = decodeAll(split(new TextEncoder().encode(text), cuts));
          expect(
            events.slice(1).map((event) => [Number(event.lastEventId.slice(2)), (JSON.parse(event.data) as { msg: string }).msg]),
          ).toEqual(entries.map(([seq, msg]) => [seq, msg.replace(/\uFFFD/g, '\uFFFD')]));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
