import { describe, expect, it } from 'vitest';
import { encodeComment, encodeEntryFrame, encodeEvent, encodeIdOnly } from './encode-event.js';
import { encodeCloseEvent, encodeEndEvent, encodeResetEvent } from './stream-events.js';

describe('encodeEvent', () => {
  it('writes event, retry, one data line per line of text, and the id last', () => {
    expect(encodeEvent({ event: 'gap', id: 's:9', retry: 2000, data: 'a\nb\r\nc\rd' })).toBe(
      'event: gap\nretry: 2000\ndata: a\ndata: b\ndata: c\ndata: d\nid: s:9\n\n',
    );
    expect(encodeEvent({ data: '' })).toBe('data: \n\n');
  });

  it.each(['a\nb', 'a\rb', 'a\0b'])('refuses %j in id and event (field injection)', (value) => {
    expect(() => encodeEvent({ id: value, data: 'x' })).toThrow(TypeError);
    expect(() => encodeEvent({ event: value, data: 'x' })).toThrow(TypeError);
  });

  it('refuses a retry that is not a non-negative integer', () => {
    expect(() => encodeEvent({ retry: -1 })).toThrow(TypeError);
    expect(() => encodeEvent({ retry: 1.5 })).toThrow(TypeError);
  });

  it('writes comments, entry frames and id-only events', () => {
    expect(encodeComment()).toBe(':\n');
    expect(encodeComment('hi')).toBe(': hi\n');
    expect(() => encodeComment('a\nb')).toThrow(TypeError);
    expect(encodeEntryFrame('s:1', '{"a":1}')).toBe('data: {"a":1}\nid: s:1\n\n');
    expect(encodeIdOnly('s:2')).toBe('id: s:2\n\n');
  });
});

describe('the events that end a stream', () => {
  it('writes end with the last entry id, reset, and close with its reconnect rule', () => {
    expect(encodeEndEvent({ lastId: 's:7', time: 5, exitCode: 3 })).toBe(
      'event: end\ndata: {"lastId":"s:7","time":5,"exitCode":3}\nid: s:7\n\n',
    );
    expect(encodeResetEvent({ reason: 'deleted', stream: 's' })).toBe('event: reset\ndata: {"reason":"deleted","stream":"s"}\n\n');
    expect(encodeCloseEvent('ended')).toBe('event: close\nretry: 86400000\ndata: {"reason":"ended","retryable":false}\n\n');
    expect(encodeCloseEvent('shutdown')).toBe('event: close\ndata: {"reason":"shutdown","retryable":true}\n\n');
  });
});
