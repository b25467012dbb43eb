import { createParser } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { SseDecoder, type SseEvent } from './sse-decoder.js';

interface Seen {
  events: SseEvent[];
  empty: string[];
  retries: number[];
}

function decode(chunks: readonly (string | Uint8Array)[], lastEventId = ''): Seen & { decoder: SseDecoder } {
  const seen: Seen = { events: [], empty: [], retries: [] };
  const decoder = new SseDecoder(
    {
      onEvent: (event) => seen.events.push(event),
      onEmptyDispatch: (id) => seen.empty.push(id),
      onRetry: (ms) => seen.retries.push(ms),
    },
    lastEventId,
  );
  for (const chunk of chunks) decoder.feed(chunk);
  return { ...seen, decoder };
}

/** Splits `text` at random points (seeded), so line ends, CRLFs and characters get split across chunks. */
function randomChunks(bytes: Uint8Array, seed: number): Uint8Array[] {
  let state = seed;
  const random = (): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const chunks: Uint8Array[] = [];
  let start = 0;
  while (start < bytes.length) {
    const size = 1 + Math.floor(random() * 12);
    chunks.push(bytes.subarray(start, start + size));
    start += size;
  }
  return chunks;
}

describe('SseDecoder (WHATWG event stream interpretation)', () => {
  it('dispatches on the blank line, with the id as last event id', () => {
    const seen = decode(['id: s:1\ndata: {"a":1}\n\n']);
    expect(seen.events).toEqual([{ type: 'message', data: '{"a":1}', lastEventId: 's:1' }]);
  });

  it('moves the last event id on an id-only event, dispatching nothing', () => {
    const seen = decode(['id: s:1\ndata: x\n\nid: s:9\n\n']);
    expect(seen.events).toHaveLength(1);
    expect(seen.empty).toEqual(['s:9']);
    expect(seen.decoder.lastEventId).toBe('s:9');
  });

  it('does not move the last event id when the stream is cut after id: and before the blank line', () => {
    for (const cut of ['id: s:2\n', 'id: s:2\ndata: {"x":', 'id: s:2\ndata: y\n', 'id: s:2\r']) {
      const seen = decode(['id: s:1\ndata: x\n\n', cut], 's:0');
      expect(seen.events.map((event) => event.lastEventId)).toEqual(['s:1']);
      expect(seen.decoder.lastEventId).toBe('s:1');
    }
  });

  it('keeps the last event id buffer across events without id (it is never reset)', () => {
    const seen = decode(['id: a\ndata: 1\n\ndata: 2\n\n'], '');
    expect(seen.events.map((event) => event.lastEventId)).toEqual(['a', 'a']);
  });

  it('starts from the cursor a new connection is given', () => {
    const seen = decode(['data: 1\n\n'], 's:41');
    expect(seen.events[0]?.lastEventId).toBe('s:41');
  });

  it('ignores an id holding NUL, and an empty id: resets the last event id', () => {
    expect(decode(['id: a\n\nid: b\0c\n\n']).decoder.lastEventId).toBe('a');
    expect(decode(['id: a\n\nid:\n\n']).decoder.lastEventId).toBe('');
  });

  it('accepts CR, LF and CRLF line ends, even with a CRLF split across chunks', () => {
    const seen = decode(['id: 1\rdata: a\r\r', 'id: 2\r\ndata: b\r', '\n\r', '\nid: 3\ndata: c\n\n']);
    expect(seen.events.map((event) => [event.lastEventId, event.data])).toEqual([
      ['1', 'a'],
      ['2', 'b'],
      ['3', 'c'],
    ]);
    expect(seen.empty).toEqual([]);
  });

  it('joins data lines with LF, keeps an empty data line, names events, ignores comments and unknown fields', () => {
    const seen = decode([': hello\nevent: gap\ndata: a\ndata\ndata: b\nfoo: bar\n\ndata:\n\n']);
    expect(seen.events).toEqual([
      { type: 'gap', data: 'a\n\nb', lastEventId: '' },
      { type: 'message', data: '', lastEventId: '' },
    ]);
  });

  it('only removes one space after the colon', () => {
    expect(decode(['data:  two\n\n']).events[0]?.data).toBe(' two');
    expect(decode(['data:none\n\n']).events[0]?.data).toBe('none');
  });

  it('reports retry: only for ASCII digits', () => {
    expect(decode(['retry: 250\n\nretry: 1e3\n\nretry: -1\n\n']).retries).toEqual([250]);
  });

  it('decodes UTF-8 split inside a character, and drops a leading BOM', () => {
    const bytes = new TextEncoder().encode('\uFEFFdata: h\u00e9llo \u{1F600}\n\n');
    const seen = decode([...bytes].map((byte) => Uint8Array.of(byte)));
    expect(seen.events[0]?.data).toBe('h\u00e9llo \u{1F600}');
  });

  it('decodes like a streaming TextDecoder for any split, invalid bytes and a BOM after the start included', () => {
    const parts = [
      new TextEncoder().encode('data: a\u00e9\u{1F600}\u20ac'),
      Uint8Array.of(0xff, 0xc3, 0x28, 0xe2, 0x82),
      new TextEncoder().encode('\uFEFFz\n\n'),
    ];
    const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
    let offset = 0;
    for (const part of parts) {
      bytes.set(part, offset);
      offset += part.byteLength;
    }
    const expected = new TextDecoder().decode(bytes).slice('data: '.length, -2);
    for (let seed = 1; seed <= 100; seed++) {
      expect(decode(randomChunks(bytes, seed)).events[0]?.data).toBe(expected);
    }
    const split = decode([new TextEncoder().encode('data: x\n'), new TextEncoder().encode('\uFEFFdata: y\n\n')]);
    expect(split.events[0]?.data).toBe('x');
  });

  it('agrees with eventsource-parser 3 on every event that library reports, for any chunking', () => {
    const text =
      'retry: 2000\nevent: hello\nid: s:0\ndata: {"stream":"s"}\n\n' +
      ':\n\n' +
      'id: s:1\ndata: {"msg":"a\\r\\nb"}\n\n' +
      'id: s:2\r\ndata: line one\r\ndata: line two\r\n\r\n' +
      'id: s:3\n\n' +
      'event: lag\rdata: {"behind":4}\r\r' +
      'id: s:4\ndata: \u00e9\u{1F600}\n\n' +
      'id: s:5\ndata: tail';
    const bytes = new TextEncoder().encode(text);
    for (let seed = 1; seed <= 200; seed++) {
      const chunks = randomChunks(bytes, seed);
      const ours = decode(chunks);
      const theirs: { type: string; data: string; id: string | undefined }[] = [];
      const parser = createParser({ onEvent: (event) => theirs.push({ type: event.event ?? 'message', data: event.data, id: event.id }) });
      const utf8 = new TextDecoder();
      for (const chunk of chunks) parser.feed(utf8.decode(chunk, { stream: true }));
      expect(ours.events.map((event) => ({ type: event.type, data: event.data }))).toEqual(
        theirs.map((event) => ({ type: event.type, data: event.data })),
      );
      // Where eventsource-parser reports an id it must be ours; it cannot report id-only events or
      // the persistence of the id buffer, which is why this decoder exists.
      theirs.forEach((event, index) => {
        if (event.id !== undefined) expect(ours.events[index]?.lastEventId).toBe(event.id);
      });
      expect(ours.empty).toContain('s:3');
      expect(ours.decoder.lastEventId).toBe('s:4');
    }
  });
});
