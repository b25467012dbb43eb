import type { LogEntry } from '@livelog/protocol';
import { describe, expect, it } from 'vitest';
import { compileFilter, EMPTY_FILTER, isNarrowerOrEqual, serverFilterOf } from './line-filter.js';

const entry = (msg: string, level: LogEntry['level'] = 'info', source = 'api', fields?: Record<string, unknown>): LogEntry => ({
  id: 's:1',
  seq: 1,
  time: 0,
  level,
  source,
  msg,
  ...(fields ? { fields } : {}),
});

describe('line filters', () => {
  it('matches level, sources and text in the message or the fields, case-insensitively', () => {
    const { match } = compileFilter({ ...EMPTY_FILTER, level: 'warn', sources: ['api'], text: 'USER 42' });
    expect(match(entry('login by user 42', 'error'))).toBe(true);
    expect(match(entry('login', 'warn', 'api', { who: 'user 42' }))).toBe(true);
    expect(match(entry('login by user 42', 'info'))).toBe(false);
    expect(match(entry('login by user 42', 'error', 'db'))).toBe(false);
  });

  it('runs regexes and inverts only the text part; a bad regex matches nothing and says why', () => {
    const inverted = compileFilter({ ...EMPTY_FILTER, level: 'warn', text: '^GET /health', regex: true, invert: true });
    expect(inverted.match(entry('GET /health 200', 'error'))).toBe(false);
    expect(inverted.match(entry('POST /login 500', 'error'))).toBe(true);
    expect(inverted.match(entry('POST /login 500', 'info'))).toBe(false);
    expect(inverted.pattern).toBeUndefined();
    const bad = compileFilter({ ...EMPTY_FILTER, text: '(', regex: true });
    expect(bad.error).toBeDefined();
    expect(bad.match(entry('anything'))).toBe(false);
    expect(bad.match(entry('('))).toBe(false);
  });

  it('compiles regexes with the u flag, and without it only when a pattern needs that', () => {
    const letters = compileFilter({ ...EMPTY_FILTER, text: '^\\p{L}+$', regex: true });
    expect(letters.error).toBeUndefined();
    expect(letters.pattern?.flags).toBe('iu');
    expect(letters.match(entry('Größe'))).toBe(true);
    expect(letters.match(entry('size 42'))).toBe(false);
    // `.` is one emoji, not half of one.
    expect(compileFilter({ ...EMPTY_FILTER, text: '^.$', regex: true }).match(entry('😀'))).toBe(true);
    // `\:` and `\-` are invalid with u; they still mean `:` and `-`.
    const legacy = compileFilter({ ...EMPTY_FILTER, text: 'a\\:b\\-c', regex: true });
    expect(legacy.error).toBeUndefined();
    expect(legacy.pattern?.flags).toBe('i');
    expect(legacy.match(entry('A:B-C'))).toBe(true);
    expect(compileFilter({ ...EMPTY_FILTER, text: '(\\p{L}', regex: true }).error).toBeDefined();
  });

  it('sends the server only what it can run, and knows when loaded lines are still a superset', () => {
    expect(serverFilterOf({ ...EMPTY_FILTER, level: 'warn', sources: ['b', 'a'], text: 'x' })).toEqual({
      level: 'warn',
      source: ['a', 'b'],
      q: 'x',
    });
    expect(serverFilterOf({ ...EMPTY_FILTER, text: 'x', regex: true })).toEqual({});
    expect(serverFilterOf({ ...EMPTY_FILTER, text: 'x', invert: true })).toEqual({});
    expect(isNarrowerOrEqual({ level: 'error', q: 'timeout' }, { level: 'warn', q: 'time' })).toBe(true);
    expect(isNarrowerOrEqual({ level: 'info' }, { level: 'warn' })).toBe(false);
    expect(isNarrowerOrEqual({ q: 'tim' }, { q: 'time' })).toBe(false);
    expect(isNarrowerOrEqual({ source: ['a'] }, { source: ['a', 'b'] })).toBe(true);
    expect(isNarrowerOrEqual({}, { source: ['a'] })).toBe(false);
  });

  it('runs the query language locally as the server does, and says where an invalid query fails', () => {
    const query = compileFilter({ ...EMPTY_FILTER, text: 'level:error -"disk full" (db OR cache)' });
    expect(query.error).toBeUndefined();
    expect(query.match(entry('db timeout', 'error'))).toBe(true);
    expect(query.match(entry('db disk full', 'error'))).toBe(false);
    expect(query.match(entry('db timeout', 'warn'))).toBe(false);
    expect(query.match(entry('timeout', 'error', 'cache'))).toBe(true);
    expect(compileFilter({ ...EMPTY_FILTER, text: 'user.id:42' }).match(entry('login', 'info', 'api', { user: { id: 42 } }))).toBe(true);
    const bad = compileFilter({ ...EMPTY_FILTER, text: 'a "b' });
    expect(bad.error).toMatch(/position 2/);
    expect(bad.match(entry('a "b'))).toBe(false);
    // An invalid query is not sent: the server would refuse the stream.
    expect(serverFilterOf({ ...EMPTY_FILTER, text: 'a "b' })).toEqual({});
  });

  it('narrows without a reload only where a longer text surely matches less', () => {
    expect(isNarrowerOrEqual({ q: 'level:error' }, {})).toBe(true);
    expect(isNarrowerOrEqual({ q: '-ab' }, { q: '-a' })).toBe(false);
    expect(isNarrowerOrEqual({ q: 'a OR bc' }, { q: 'a OR b' })).toBe(false);
    expect(isNarrowerOrEqual({ q: 'timeouts' }, { q: 'timeout' })).toBe(true);
    expect(isNarrowerOrEqual({ q: 'x', since: '1h' }, { q: 'x' })).toBe(false);
    expect(isNarrowerOrEqual({ since: '1h' }, { since: '1h' })).toBe(true);
    expect(serverFilterOf({ ...EMPTY_FILTER, text: ' db ' }, { since: '15m', until: '' })).toEqual({ q: 'db', since: '15m' });
  });
});
