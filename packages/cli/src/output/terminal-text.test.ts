import { describe, expect, it } from 'vitest';
import { literalOf } from './line-matcher.js';
import { terminalJson, terminalText } from './terminal-text.js';

describe('terminalText', () => {
  it.each([
    ['plain text', 'plain text', 'plain text'],
    ['\x1b[1;31mbold red\x1b[0m', 'bold red', '\x1b[1;31mbold red\x1b[0m\x1b[0m'],
    ['\x1b[38;2;255;0;0mtruecolor\x1b[39m', 'truecolor', '\x1b[38;2;255;0;0mtruecolor\x1b[39m\x1b[0m'],
    ['\x1b]0;title\x07after', 'after', 'after'],
    ['\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\', 'link', 'link'],
    ['\x1b[2J\x1b[1;1H\x1b[?1049h\x1b[Kx', 'x', 'x'],
    ['\x1bPq#0;2;0;0;0\x1b\\dcs', 'dcs', 'dcs'],
    ['\x1b7saved\x1b8', 'saved', 'saved'],
    ['\u009b2J c1 csi', ' c1 csi', ' c1 csi'],
    ['line\rover', 'lineover', 'lineover'],
    ['nul\u0000 del\u007f bs\u0008', 'nul del bs', 'nul del bs'],
    ['a\u202eb\u2067c\u2069', 'abc', 'abc'],
    ['keep\ttab\nand newline', 'keep\ttab\nand newline', 'keep\ttab\nand newline'],
    // ESC, an intermediate byte (space) and a final byte is a sequence of its own (ECMA-48).
    ['lone \x1b escape', 'lone scape', 'lone scape'],
    ['lone \x1b', 'lone ', 'lone '],
    ['\x1b\x1b[31mnested', 'nested', '\x1b[31mnested\x1b[0m'],
  ])('%j', (input, plain, colored) => {
    expect(terminalText(input, false)).toBe(plain);
    expect(terminalText(input, true)).toBe(colored);
  });

  it('returns text without controls unchanged (the common case, no copy)', () => {
    const text = 'GET /api/orders 200 3ms — ünïcödé 😀';
    expect(terminalText(text, true)).toBe(text);
  });

  it('terminalJson escapes C1, DEL and bidi controls, and the JSON means the same', () => {
    const value = { msg: 'a\u009bb\u202ec\u007fd' };
    const json = terminalJson(JSON.stringify(value));
    expect(json).toBe('{"msg":"a\\u009bb\\u202ec\\u007fd"}');
    expect(JSON.parse(json)).toEqual(value);
  });
});

describe('literalOf', () => {
  it.each([
    ['reset', 'reset'],
    ['disk full', 'disk full'],
    ['a\\.b', 'a.b'],
    ['/api/orders', '/api/orders'],
    ['a\\/b', 'a/b'],
  ])('%j is the literal %j', (source, literal) => {
    expect(literalOf(source)).toBe(literal);
  });

  it.each(['^disk', 'a.b', 'res[e]t', 'a|b', 'x+', '\\d+', '\\bword', '(a)', ''])('%j is not a literal', (source) => {
    expect(literalOf(source)).toBeUndefined();
  });
});
