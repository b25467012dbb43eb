import { describe, expect, it } from 'vitest';
import { matchEntry, queryTerms, type SearchableEntry } from './match-entry.js';
import { parseQuery, QuerySyntaxError, quoteQueryTerm } from './parse-query.js';

const text = (value: string, quoted = false) => ({ type: 'text', value, quoted });

describe('parseQuery', () => {
  const cases: [string, unknown][] = [
    ['', { type: 'all' }],
    ['   ', { type: 'all' }],
    ['timeout', text('timeout')],
    ['timeout db', { type: 'and', children: [text('timeout'), text('db')] }],
    ['timeout AND db', { type: 'and', children: [text('timeout'), text('db')] }],
    ['a OR b c', { type: 'or', children: [text('a'), { type: 'and', children: [text('b'), text('c')] }] }],
    ['a b OR c', { type: 'or', children: [{ type: 'and', children: [text('a'), text('b')] }, text('c')] }],
    ['(a OR b) c', { type: 'and', children: [{ type: 'or', children: [text('a'), text('b')] }, text('c')] }],
    ['-debug', { type: 'not', child: text('debug') }],
    ['NOT a OR b', { type: 'or', children: [{ type: 'not', child: text('a') }, text('b')] }],
    ['-(a b)', { type: 'not', child: { type: 'and', children: [text('a'), text('b')] } }],
    ['"connection reset"', text('connection reset', true)],
    ['"say \\"hi\\" \\\\ C:\\path"', text('say "hi" \\ C:\\path', true)],
    ['and or not', { type: 'and', children: [text('and'), text('or'), text('not')] }],
    ['"OR"', text('OR', true)],
    ['foo-bar', text('foo-bar')],
    ['a - b', { type: 'and', children: [text('a'), text('-'), text('b')] }],
    ['14:02:33', text('14:02:33')],
    ['http://example.com/x', text('http://example.com/x')],
    ['source:api', { type: 'property', name: 'source', value: 'api', quoted: false }],
    ['msg:"disk full"', { type: 'property', name: 'msg', value: 'disk full', quoted: true }],
    ['level:warn', { type: 'level', op: '=', level: 'warn' }],
    ['level:>=WARN', { type: 'level', op: '>=', level: 'warn' }],
    ['level:<info', { type: 'level', op: '<', level: 'info' }],
    ['user.id:42', { type: 'field', path: ['user', 'id'], op: '=', value: '42', quoted: false }],
    ['http.status:>=500', { type: 'field', path: ['http', 'status'], op: '>=', value: '500', quoted: false }],
    ['fields.msg:x', { type: 'field', path: ['msg'], op: '=', value: 'x', quoted: false }],
    ['user.name:"Ada L"', { type: 'field', path: ['user', 'name'], op: '=', value: 'Ada L', quoted: true }],
    ['a"b c"', { type: 'and', children: [text('a'), text('b c', true)] }],
  ];
  it.each(cases)('%j', (query, ast) => {
    expect(parseQuery(query)).toEqual(ast);
  });

  const errors: [string, number, RegExp][] = [
    ['"unclosed', 0, /unbalanced quote/],
    ['a "b', 2, /unbalanced quote/],
    ['(a b', 0, /unbalanced "\("/],
    ['a b)', 3, /unbalanced "\)"/],
    ['()', 0, /empty parentheses/],
    ['a OR', 2, /OR needs a term after/],
    ['OR a', 0, /OR needs a term before/],
    ['a AND', 2, /AND needs a term after/],
    ['a OR OR b', 2, /OR needs a term after/],
    ['NOT', 0, /NOT needs a term/],
    ['user.id:', 8, /empty value for user.id/],
    ['user.id: 42', 8, /empty value/],
    ['level:loud', 0, /not a level/],
    ['msg:>x', 0, /takes no comparison/],
    ['""', 0, /empty phrase/],
    ['msg:""', 4, /empty phrase/],
    [`${'('.repeat(40)}a${')'.repeat(40)}`, 33, /nests deeper/],
    // Regression: a query cut short inside "(" was "unexpected end of query", naming neither what is
    // missing nor after what; every truncated query now says so.
    ['(', 0, /^unbalanced "\(": the query ends before a term and its "\)" \(at position 0\)$/],
    ['( ', 0, /^unbalanced "\(": the query ends before a term and its "\)"/],
    ['a AND (', 6, /^unbalanced "\(": the query ends before a term and its "\)"/],
    ['NOT (', 4, /^unbalanced "\(": the query ends before a term and its "\)"/],
    ['-(', 1, /^unbalanced "\(": the query ends before a term and its "\)"/],
    ['a AND', 2, /^AND needs a term after it, but the query ends there \(at position 2\)$/],
    ['a OR ', 2, /^OR needs a term after it, but the query ends there/],
    ['a AND NOT', 6, /^NOT needs a term after it, but the query ends there/],
    ['a OR OR b', 2, /^OR needs a term after it \(at position 2\)$/],
    ['"abc', 0, /^unbalanced quote: no closing " before the end of the query \(at position 0\)$/],
    ['field:"abc', 6, /^unbalanced quote: no closing " before the end of the query/],
    ['field:', 6, /^empty value for field:, the query ends there \(at position 6\)$/],
    ['level:>= ', 8, /^empty value for level:, the query ends there/],
    ['user.id: 42', 8, /^empty value for user.id: \(at position 8\)$/],
  ];
  it.each(errors)('rejects %j at %i', (query, position, message) => {
    let caught: unknown;
    try {
      parseQuery(query);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(QuerySyntaxError);
    expect((caught as QuerySyntaxError).position).toBe(position);
    expect((caught as QuerySyntaxError).message).toMatch(message);
  });

  it('rejects a query over 4 KiB', () => {
    expect(() => parseQuery('a'.repeat(4097))).toThrow(QuerySyntaxError);
    expect(() => parseQuery('é'.repeat(2049))).toThrow(/longer than 4096 bytes/);
    // Regression: the position was the byte limit (4096), past the end of this 2,049-character query.
    expect(() => parseQuery('é'.repeat(2049))).toThrow(/position 2048\)/);
    expect(() => parseQuery('é'.repeat(2048))).not.toThrow();
    expect(parseQuery('a '.repeat(2048))).toMatchObject({ type: 'and' });
  });
});

describe('matchEntry', () => {
  const entry: SearchableEntry = {
    msg: 'Connection RESET by peer after 30s',
    source: 'api-gateway',
    level: 'warn',
    fields: { user: { id: 42, name: 'Ada Lovelace', admin: false }, 'req.path': '/v1/Orders', tags: ['blue', 7], note: null },
  };
  const cases: [string, boolean][] = [
    ['connection', true],
    ['CONNECTION reset', true],
    ['connection missing', false],
    ['"reset by"', true],
    ['"reset  by"', false],
    ['"peer api"', false],
    ['gateway', true],
    ['warn', true],
    ['lovelace', true],
    ['user', false],
    ['42', true],
    ['missing OR peer', true],
    ['-peer', false],
    ['NOT missing', true],
    ['(missing OR peer) -gateway', false],
    ['source:gateway', true],
    ['source:peer', false],
    ['msg:peer', true],
    ['msg:gateway', false],
    ['level:warn', true],
    ['level:error', false],
    ['level:>=info', true],
    ['level:>warn', false],
    ['level:<=warn', true],
    ['user.id:42', true],
    ['user.id:4', false],
    ['user.id:42.0', true],
    ['user.id:>=40', true],
    ['user.id:<40', false],
    ['user.name:ada', true],
    ['user.name:"ada lovelace"', true],
    ['user.name:>a', false],
    ['user.admin:false', true],
    ['user.admin:true', false],
    ['user:ada', true],
    ['req.path:orders', true],
    ['tags:blue', true],
    ['tags:7', true],
    ['tags:>5', true],
    ['note:null', true],
    ['missing.path:x', false],
    ['-missing.path:x', true],
    ['fields.user.id:42', true],
    ['30s', true],
    ['', true],
  ];
  it.each(cases)('%j → %s', (query, expected) => {
    expect(matchEntry(parseQuery(query), entry)).toBe(expected);
  });

  it('lists the positive terms for highlighting', () => {
    expect(queryTerms(parseQuery('Timeout "Disk Full" -debug user.id:42 level:warn (a OR msg:B)'))).toEqual([
      'timeout',
      'disk full',
      '42',
      'a',
      'b',
    ]);
  });
});

describe('quoteQueryTerm', () => {
  it.each(['a b', 'say "hi"', 'C:\\path\\', 'OR', 'level:x', '-(x)'])('%j parses back to one literal phrase', (value) => {
    expect(parseQuery(quoteQueryTerm(value))).toEqual({ type: 'text', value, quoted: true });
  });
});
