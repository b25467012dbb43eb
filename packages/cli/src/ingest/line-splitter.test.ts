import { expect, test } from 'vitest';
import { LineSplitter } from './line-splitter.js';

function split(chunks: Buffer[], maxPendingBytes?: number): [string, boolean][] {
  const lines: [string, boolean][] = [];
  const splitter = new LineSplitter((text, invalid) => lines.push([text, invalid]), maxPendingBytes);
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

test('every cut of the bytes gives the same lines: characters cut between chunks, CRLF, bare CR, no final newline', () => {
  const bytes = Buffer.from('héllo wörld 😀\r\nprogress 10%\rdone\n\n\x1b[31mred\x1b[0m\nlast', 'utf8');
  const expected: [string, boolean][] = [
    ['héllo wörld 😀', false],
    ['progress 10%\rdone', false],
    ['', false],
    ['\x1b[31mred\x1b[0m', false],
    ['last', false],
  ];
  for (let cut = 0; cut <= bytes.length; cut++) {
    for (let second = cut; second <= bytes.length; second += 7) {
      expect(split([bytes.subarray(0, cut), bytes.subarray(cut, second), bytes.subarray(second)])).toEqual(expected);
    }
  }
});

test('invalid UTF-8 is replaced and flagged on its own line only', () => {
  const bytes = Buffer.concat([Buffer.from('good\nbad '), Buffer.from([0xff, 0xfe]), Buffer.from('\nliteral \ufffd is fine\n')]);
  expect(split([bytes])).toEqual([
    ['good', false],
    ['bad \ufffd\ufffd', true],
    ['literal \ufffd is fine', false],
  ]);
});

test('a line without a newline longer than the bound comes out in pieces, nothing dropped', () => {
  const lines = split([Buffer.from('x'.repeat(25)), Buffer.from('y'.repeat(10)), Buffer.from('\nnext\n')], 10);
  expect(lines.map(([text]) => text)).toEqual(['xxxxxxxxxx', 'xxxxxxxxxx', 'xxxxxyyyyy', 'yyyyy', 'next']);
  expect(lines.map(([text]) => text).join('')).toBe(`${'x'.repeat(25)}${'y'.repeat(10)}next`);
});
