import { describe, expect, it } from 'vitest';
import { GroupIdempotency, type RememberedKey } from './group-idempotency.js';

describe('GroupIdempotency', () => {
  const committed = new Map<string, RememberedKey>([['old', { digest: 'd1', firstSeq: 3, lastSeq: 5 }]]);
  const group = (): GroupIdempotency => new GroupIdempotency((key) => committed.get(key));

  it('writes batches without a key or with a new one', () => {
    const keys = group();
    expect(keys.check({})).toEqual({ kind: 'write' });
    expect(keys.check({ idempotencyKey: 'new', bodyDigest: 'x' })).toEqual({ kind: 'write' });
    expect(keys.records).toEqual([]);
  });

  it('answers a committed key with its first result, and refuses it with another body', () => {
    const keys = group();
    expect(keys.check({ idempotencyKey: 'old', bodyDigest: 'd1' })).toEqual({
      kind: 'replay',
      result: { firstSeq: 3, lastSeq: 5, replayed: true },
    });
    expect(() => keys.check({ idempotencyKey: 'old', bodyDigest: 'other' })).toThrow(
      expect.objectContaining({ code: 'LIVELOG_ERR_INGEST_IDEMPOTENCY_MISMATCH' }),
    );
  });

  it('makes a repeat within the group wait for the commit, then answers like the first batch', () => {
    const keys = group();
    const options = { idempotencyKey: 'k', bodyDigest: 'd' };
    expect(keys.check(options)).toEqual({ kind: 'write' });
    keys.written(options, { firstSeq: 10, lastSeq: 12, replayed: false }, 1234);
    expect(keys.records).toEqual([['k', 'd', 10, 12, 1234]]);
    expect(keys.check(options)).toEqual({ kind: 'after-commit', key: 'k' });
    expect(keys.replayOf('k', options)).toEqual({ firstSeq: 10, lastSeq: 12, replayed: true });
    expect(() => keys.replayOf('k', { idempotencyKey: 'k', bodyDigest: 'other' })).toThrow(
      expect.objectContaining({ code: 'LIVELOG_ERR_INGEST_IDEMPOTENCY_MISMATCH' }),
    );
  });
});
