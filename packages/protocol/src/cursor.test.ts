import { describe, expect, it } from 'vitest';
import { compareCursor, decodeCursor, encodeCursor } from './cursor.js';

describe('cursor codec', () => {
  it('round-trips', () => {
    const id = encodeCursor({ stream: 'k3x9q2', seq: 1042 });
    expect(id).toBe('k3x9q2:1042');
    expect(decodeCursor(id)).toEqual({ ok: true, cursor: { stream: 'k3x9q2', seq: 1042 } });
  });

  it.each([
    '',
    ':1',
    'abc',
    'abc:',
    'abc:-1',
    'abc:+1',
    'abc:01',
    'abc:1e3',
    'abc: 1',
    'abc:1 ',
    'a b:1',
    'abc:1.5',
    'abc:99999999999999999',
    'ab\ncd:1',
    'ab\0:1',
    `${'x'.repeat(10_000)}:1`,
    '1735200000.123456',
  ])('rejects %j as malformed', (value) => {
    expect(decodeCursor(value)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('accepts seq 0 (before the first entry) and the largest safe integer', () => {
    expect(decodeCursor('s:0')).toEqual({ ok: true, cursor: { stream: 's', seq: 0 } });
    expect(decodeCursor(`s:${Number.MAX_SAFE_INTEGER}`).ok).toBe(true);
  });

  it('refuses to encode what it could not decode', () => {
    expect(() => encodeCursor({ stream: 'a:b', seq: 1 })).toThrow(TypeError);
    expect(() => encodeCursor({ stream: 'ab', seq: -1 })).toThrow(TypeError);
    expect(() => encodeCursor({ stream: 'ab', seq: 1.5 })).toThrow(TypeError);
  });

  it('orders cursors of one stream and refuses to order foreign ones', () => {
    expect(compareCursor({ stream: 'a', seq: 1 }, { stream: 'a', seq: 2 })).toBeLessThan(0);
    expect(compareCursor({ stream: 'a', seq: 2 }, { stream: 'a', seq: 2 })).toBe(0);
    expect(() => compareCursor({ stream: 'a', seq: 1 }, { stream: 'b', seq: 1 })).toThrow(RangeError);
  });
});
