import { describe, expect, it } from 'vitest';
import { globMatches, StreamGlobs } from './stream-globs.js';
import { parseTokenSpec, TokenBook } from './tokens.js';

describe('parseTokenSpec', () => {
  it('keeps the syntax without streams: every scope, or the scopes named', () => {
    expect(parseTokenSpec('s3cretvalue')).toEqual({ secret: 's3cretvalue', scopes: ['admin'] });
    expect(parseTokenSpec('s3cretvalue:read+ingest')).toEqual({ secret: 's3cretvalue', scopes: ['read', 'ingest'] });
  });

  it('reads stream globs after @, with or without scopes', () => {
    expect(parseTokenSpec('s3cretvalue:read+ingest@ci-*|build-*')).toEqual({
      secret: 's3cretvalue',
      scopes: ['read', 'ingest'],
      streams: ['ci-*', 'build-*'],
    });
    expect(parseTokenSpec('s3cretvalue@tenant-a')).toEqual({ secret: 's3cretvalue', scopes: ['admin'], streams: ['tenant-a'] });
  });

  it.each([
    ['short', 'at least 8'],
    ['s3cretvalue:read@', 'is not a stream pattern'],
    ['s3cretvalue:read@CI-*', 'is not a stream pattern'],
    ['s3cretvalue:read@ci/x', 'is not a stream pattern'],
    ['s3cretvalue:read@a||b', 'is not a stream pattern'],
    ['s3cretvalue:read@a@b', 'is not a stream pattern'],
    ['s3cretvalue:reed@a', 'unknown token scope'],
    ['s3cretvalue:x:read', 'unknown token scope'],
    ['pass@word:read', 'at least 8'],
  ])('refuses %j', (text, message) => {
    expect(() => parseTokenSpec(text)).toThrow(message);
  });
});

describe('globMatches', () => {
  it.each([
    ['ci-*', 'ci-1', true],
    ['ci-*', 'ci-', true],
    ['ci-*', 'ci', false],
    ['ci-*', 'xci-1', false],
    ['*', 'anything.at_all-1', true],
    ['build-*-prod', 'build-42-prod', true],
    ['build-*-prod', 'build-42-prod2', false],
    ['*.log', 'a.b.log', true],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'aXbYbZ', false],
    ['exact', 'exact', true],
    ['exact', 'exactly', false],
    ['e.act', 'exact', false],
  ])('%s against %s is %s', (glob, name, expected) => {
    expect(globMatches(glob, name)).toBe(expected);
  });

  it('stays linear on a pattern that makes a backtracking RegExp explode', () => {
    const glob = `${'a*'.repeat(60)}b`;
    const name = 'a'.repeat(128);
    const started = process.hrtime.bigint();
    expect(globMatches(glob, name)).toBe(false);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(100);
  });

  it('matches when any glob of the list matches', () => {
    const globs = StreamGlobs.parse('ci-*|build-*|prod-api');
    expect(['ci-7', 'build-x', 'prod-api'].map((name) => globs.matches(name))).toEqual([true, true, true]);
    expect(['prod-api-2', 'ci', 'default'].map((name) => globs.matches(name))).toEqual([false, false, false]);
  });
});

describe('TokenBook', () => {
  it('grants the scopes and streams of the matching token, nothing to an unknown one', () => {
    const book = new TokenBook([parseTokenSpec('readerci1:read@ci-*'), parseTokenSpec('adminall1')]);
    const ci = book.grantOf('readerci1');
    expect(ci?.scopes).toEqual(new Set(['read']));
    expect(ci?.everyStream).toBe(false);
    expect(ci?.covers('ci-12')).toBe(true);
    expect(ci?.covers('prod-api')).toBe(false);
    const admin = book.grantOf('adminall1');
    expect(admin?.everyStream).toBe(true);
    expect(admin?.covers('prod-api')).toBe(true);
    expect(book.grantOf('nobody123')).toBeUndefined();
  });
});
