import { describe, expect, it } from 'vitest';
import { isRetryableClose } from './close-reasons.js';
import { DEFAULT_STREAM, endProblem, isStreamName, labelsProblem } from './streams.js';

describe('stream names', () => {
  it('accepts lowercase names of 1..128 characters starting with a letter or digit', () => {
    for (const name of [DEFAULT_STREAM, 'a', '0', 'ci-build.42_x', `a${'b'.repeat(127)}`]) expect(isStreamName(name)).toBe(true);
  });
  it('refuses everything else', () => {
    for (const name of ['', '-a', '.a', '_a', 'A', 'a b', 'a/b', 'a:b', 'a{b}', `a${'b'.repeat(128)}`, 'é', 'a\n', 42, null]) {
      expect(isStreamName(name)).toBe(false);
    }
  });
});

describe('labels', () => {
  it('accepts up to 32 string labels with identifier keys', () => {
    expect(labelsProblem({})).toBeUndefined();
    expect(labelsProblem({ service: 'api', 'env.name': 'prod', _x: '' })).toBeUndefined();
    expect(labelsProblem(Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, 'v'])))).toBeUndefined();
  });
  it('refuses other shapes, keys and values', () => {
    for (const labels of [
      null,
      [],
      'x',
      { '1a': 'v' },
      { 'a b': 'v' },
      { a: 1 },
      { a: 'x'.repeat(257) },
      { [`a${'b'.repeat(64)}`]: 'v' },
      Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])),
    ]) {
      expect(labelsProblem(labels)).toBeTypeOf('string');
    }
  });
});

describe('end payloads', () => {
  it('accepts an optional int32 exit code and a short reason', () => {
    for (const body of [{}, { exitCode: 0 }, { exitCode: -(2 ** 31) }, { exitCode: 2 ** 31 - 1, reason: 'x'.repeat(1024) }]) {
      expect(endProblem(body)).toBeUndefined();
    }
  });
  it('refuses everything else', () => {
    for (const body of [
      null,
      [],
      3,
      { exitCode: 1.5 },
      { exitCode: 2 ** 31 },
      { exitCode: '1' },
      { reason: 3 },
      { reason: 'x'.repeat(1025) },
      { other: 1 },
    ]) {
      expect(endProblem(body)).toBeTypeOf('string');
    }
  });
});

describe('close reasons of streams', () => {
  it('makes ended and deleted terminal', () => {
    expect(isRetryableClose('ended')).toBe(false);
    expect(isRetryableClose('deleted')).toBe(false);
  });
});
