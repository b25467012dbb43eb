import { describe, expect, it } from 'vitest';
import { STREAM_NAME, streamNameOf } from './entry-group.js';

describe('streamNameOf', () => {
  it.each([
    ['payments', 'payments'],
    ['Payments API', 'payments-api'],
    ['_internal', 'internal'],
    ['kube-system/coredns', 'kube-system-coredns'],
    ['app.v2_beta', 'app.v2_beta'],
    ['---', undefined],
    ['???', undefined],
    ['', undefined],
    ['Ünïcode', 'n-code'],
  ])('%j → %j', (value, name) => {
    expect(streamNameOf(value)).toBe(name);
  });

  it('cuts long values to 128 characters and always yields a valid name', () => {
    const name = streamNameOf('a'.repeat(300)) as string;
    expect(name).toHaveLength(128);
    expect(name).toMatch(STREAM_NAME);
  });
});
