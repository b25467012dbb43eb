import { describe, expect, it } from 'vitest';
import { parseLabelSet } from './parse-label-set.js';

describe('parseLabelSet', () => {
  it.each([
    ['{}', {}],
    ['{job="api"}', { job: 'api' }],
    ['{ job = "api" , namespace="prod", }', { job: 'api', namespace: 'prod' }],
    [
      '{a="say \\"hi\\"", b="back\\\\slash", c="line\\nbreak", d="tab\\t"}',
      { a: 'say "hi"', b: 'back\\slash', c: 'line\nbreak', d: 'tab\t' },
    ],
    ['{__name__="x", _a1="ü"}', { __name__: 'x', _a1: 'ü' }],
  ])('%s', (text, labels) => {
    expect(parseLabelSet(text)).toEqual(labels);
  });

  it.each(['', 'job="api"', '{job="api"', '{job=api}', '{1job="x"}', '{job="x" y="z"}', '{job="x"} trailing', '{job="unclosed}'])(
    'refuses %j with LIVELOG_ERR_LOKI_BAD_LABELS',
    (text) => {
      expect(() => parseLabelSet(text)).toThrow(expect.objectContaining({ code: 'LIVELOG_ERR_LOKI_BAD_LABELS' }));
    },
  );

  it('keeps a "__proto__" label as data', () => {
    const labels = parseLabelSet('{__proto__="x"}');
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(Object.keys(labels)).toEqual(['__proto__']);
  });
});
