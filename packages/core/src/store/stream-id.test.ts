import { describe, expect, it } from 'vitest';
import { createStreamId } from './stream-id.js';

describe('createStreamId', () => {
  // Ids come from a pool of random bytes, refilled every 100 ids: none may repeat across refills.
  it('gives 10 characters of Crockford base32, never the same twice over many pool refills', () => {
    const ids = Array.from({ length: 10_000 }, () => createStreamId());
    for (const id of ids) expect(id).toMatch(/^[0-9abcdefghjkmnpqrstvwxyz]{10}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
