import { describe, expect, it } from 'vitest';
import { type SseMessage, SseParser } from './sse-parser.js';

/** Feeds `chunks` and returns what the parser reported, in order. */
function parse(chunks: (string | Uint8Array)[]) {
  const seen: (SseMessage | { idOnly: string } | { comment: string } | { retry: number })[] = [];
  const parser = new SseParser({
    onEvent: (message) => seen.push(message),
    onIdOnly: (id) => seen.push({ idOnly: id }),
    onComment: (text) => seen.push({ comment: text }),
    onRetry: (ms) => seen.push({ retry: ms }),
  });
  for (const chunk of chunks) parser.feed(chunk);
  return { seen, parser };
}

describe('SseParser (the WHATWG interpretation rules the loss tests rely on)', () => {
  it('dispatches unnamed and named events with the last event id', () => {
    const { seen } = parse(['id: s:1\ndata: one\n\nevent: hello\ndata: {"a":1}\n\n']);
    expect(seen).toEqual([
      { type: 'message', data: 'one', lastEventId: 's:1' },
      { type: 'hello', data: '{"a":1}', lastEventId: 's:1' },
    ]);
  });

  it('joins data lines with LF and strips one space after the colon only', () => {
    const { seen } = parse(['data:  two spaces\ndata:x\ndata\n\n']);
    expect(seen).toEqual([{ type: 'message', data: ' two spaces\nx\n', lastEventId: '' }]);
  });

  it('ends lines at CR, LF and CRLF, also with the CRLF split across chunks', () => {
    const { seen } = parse(['data: a\r', '\ndata: b\rdata: c\r\n\r', '\n', 'data: d\n\r\n']);
    expect(seen).toEqual([
      { type: 'message', data: 'a\nb\nc', lastEventId: '' },
      { type: 'message', data: 'd', lastEventId: '' },
    ]);
  });

  it('never dispatches an event cut before its blank line, and never moves the id for it', () => {
    const { seen, parser } = parse(['id: s:1\ndata: whole\n\nid: s:2\ndata: cut in the mid']);
    expect(seen).toEqual([{ type: 'message', data: 'whole', lastEventId: 's:1' }]);
    expect(parser.lastEventId).toBe('s:1');
  });

  it('moves the id on an id-only event without dispatching, and keeps it across events without id', () => {
    const { seen, parser } = parse(['id: s:7\n\ndata: next\n\n']);
    expect(seen).toEqual([{ idOnly: 's:7' }, { type: 'message', data: 'next', lastEventId: 's:7' }]);
    expect(parser.lastEventId).toBe('s:7');
  });

  it('starts from the last event id it resumes from, so an event without id keeps it', () => {
    const seen: SseMessage[] = [];
    const parser = new SseParser({ onEvent: (message) => seen.push(message) }, 's:41');
    parser.feed('event: hello\ndata: {}\n\n');
    expect(seen).toEqual([{ type: 'hello', data: '{}', lastEventId: 's:41' }]);
  });

  it('ignores an id holding NUL, reports comments and numeric retry only', () => {
    const { seen } = parse(['id: s:1\n\nid: bad\0id\ndata: x\n\n: keep-alive\nretry: 1500\nretry: soon\n\n']);
    expect(seen).toEqual([
      { idOnly: 's:1' },
      { type: 'message', data: 'x', lastEventId: 's:1' },
      { comment: 'keep-alive' },
      { retry: 1500 },
      { idOnly: 's:1' },
    ]);
  });

  it('decodes UTF-8 split across chunks and drops one leading BOM', () => {
    const bytes = new TextEncoder().encode('\uFEFFdata: h\u00e9llo \u{1F600}\n\n');
    const { seen } = parse(Array.from(bytes, (byte) => Uint8Array.of(byte)));
    expect(seen).toEqual([{ type: 'message', data: 'h\u00e9llo \u{1F600}', lastEventId: '' }]);
  });
});
