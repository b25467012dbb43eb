import { describe, expect, it } from 'vitest';
import { EventBoundary } from './event-boundary.js';

const HEAD_CHUNKED = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n';
const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;

/** Feeds `text` one byte at a time and returns atBoundary after each byte. */
function boundaries(text: string): boolean[] {
  const tracker = new EventBoundary();
  return Array.from(Buffer.from(text), (byte) => {
    tracker.feed(Buffer.of(byte));
    return tracker.atBoundary;
  });
}

describe('EventBoundary', () => {
  it('sees event ends inside chunked framing, not the framing CRLF', () => {
    const event = 'id: s:1\ndata: {"msg":"a"}\n\n';
    const text = HEAD_CHUNKED + chunk(event) + chunk(event.slice(0, 10)) + chunk(event.slice(10));
    const flags = boundaries(text);
    const endOfFirst = HEAD_CHUNKED.length + chunk(event).length - 2; // before the chunk's CRLF
    expect(flags[endOfFirst - 1]).toBe(true);
    expect(flags[endOfFirst - 2]).toBe(false);
    // Inside the event split over two chunks: not at a boundary, even right after the first chunk's CRLF.
    const afterSplitChunk = HEAD_CHUNKED.length + chunk(event).length + chunk(event.slice(0, 10)).length;
    expect(flags[afterSplitChunk - 1]).toBe(false);
    expect(flags[flags.length - 1]).toBe(true);
  });

  it('is at a boundary before any body byte, and tracks a Content-Length body then the next response', () => {
    const tracker = new EventBoundary();
    tracker.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n'));
    expect(tracker.atBoundary).toBe(true);
    tracker.feed(Buffer.from('data: x\n'));
    expect(tracker.atBoundary).toBe(false);
    tracker.feed(Buffer.from('\n{}\n'));
    expect(tracker.bodyBytes).toBe(12);
    tracker.feed(Buffer.from(`${HEAD_CHUNKED}${chunk('data: y\n\n')}0\r\n\r\n`));
    expect(tracker.atBoundary).toBe(true);
    expect(tracker.bodyBytes).toBe(21);
  });
});
