import { expect, test } from 'vitest';
import { encodeRecord, RecordTooLongError, splitUtf8, utf8Length } from './encode-record.js';

const limits = { maxMessageBytes: 64, maxLineBytes: 256 };

test('a record that fits the line limit is one line, unchanged', () => {
  expect(encodeRecord({ msg: 'x'.repeat(200), level: 'info', user: 7 }, limits)).toEqual([
    JSON.stringify({ msg: 'x'.repeat(200), level: 'info', user: 7 }),
  ]);
});

test('a longer one is split into parts of the message limit; other keys stay on the first part', () => {
  const msg = `${'a'.repeat(64)}${'b'.repeat(64)}${'c'.repeat(64)}${'d'.repeat(10)}`;
  const lines = encodeRecord({ msg, level: 'warn', time: 5, source: 's', user: 7 }, limits).map((line) => JSON.parse(line));
  expect(lines).toEqual([
    { msg: 'a'.repeat(64), level: 'warn', time: 5, source: 's', user: 7, part: { index: 1, count: 4 } },
    { msg: 'b'.repeat(64), level: 'warn', time: 5, source: 's', part: { index: 2, count: 4 } },
    { msg: 'c'.repeat(64), level: 'warn', time: 5, source: 's', part: { index: 3, count: 4 } },
    { msg: 'd'.repeat(10), level: 'warn', time: 5, source: 's', part: { index: 4, count: 4 } },
  ]);
  expect(lines.map((line) => line.msg).join('')).toBe(msg);
});

test('a record too long for its other keys is refused with its size', () => {
  expect(() => encodeRecord({ msg: 'short', blob: 'z'.repeat(300) }, limits)).toThrow(RecordTooLongError);
});

test('UTF-8 lengths and cuts respect characters, surrogate pairs included', () => {
  expect(utf8Length('aé€😀')).toBe(1 + 2 + 3 + 4);
  expect(utf8Length('\ud800')).toBe(3);
  const text = '😀'.repeat(5);
  const pieces = splitUtf8(text, 6);
  expect(pieces).toEqual(['😀', '😀', '😀', '😀', '😀']);
  expect(splitUtf8('éééé', 5)).toEqual(['éé', 'éé']);
});
