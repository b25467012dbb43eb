import { checkSameBody } from './idempotency.js';
import type { AppendOptions, AppendResult } from './log-store.js';

/** An idempotency key as a store remembers it from an earlier commit. */
export interface RememberedKey {
  digest: string | undefined;
  firstSeq: number;
  lastSeq: number;
}

/** What to do with one append of a group, as its idempotency key decides. */
export type KeyVerdict =
  /** No key, or one never seen: write the batch. */
  | { kind: 'write' }
  /** The key was committed before: answer this without writing. */
  | { kind: 'replay'; result: AppendResult }
  /** An earlier batch of this same group holds the key: answer like it once the group commits. */
  | { kind: 'after-commit'; key: string };

/**
 * The idempotency keys of one group commit: checks each append's key against the keys already
 * committed (through `lookup`) and against the batches earlier in the group, and collects the key
 * records the commit writes. Throws LIVELOG_ERR_INGEST_IDEMPOTENCY_MISMATCH for a key seen with another
 * body.
 */
export class GroupIdempotency {
  readonly #lookup: (key: string) => RememberedKey | undefined;
  /** Keys written by this group: a batch repeating one answers like a retry. */
  readonly #written = new Map<string, { digest: string | undefined; result: AppendResult }>();
  /** Records to write with the group: key, body digest, first seq, last seq, created. */
  readonly records: [string, string | null, number, number, number][] = [];

  constructor(lookup: (key: string) => RememberedKey | undefined) {
    this.#lookup = lookup;
  }

  /** Decides what the append with `options` is: a new batch, a replay, or a repeat within the group. */
  check(options: AppendOptions): KeyVerdict {
    const key = options.idempotencyKey;
    if (key === undefined) return { kind: 'write' };
    if (this.#written.has(key)) return { kind: 'after-commit', key };
    const seen = this.#lookup(key);
    if (seen === undefined) return { kind: 'write' };
    checkSameBody(key, seen.digest, options.bodyDigest);
    return { kind: 'replay', result: { firstSeq: seen.firstSeq, lastSeq: seen.lastSeq, replayed: true } };
  }

  /** Remembers the key (if any) of a batch this group writes, with its result. */
  written(options: AppendOptions, result: AppendResult, now = Date.now()): void {
    const key = options.idempotencyKey;
    if (key === undefined) return;
    this.records.push([key, options.bodyDigest ?? null, result.firstSeq, result.lastSeq, now]);
    this.#written.set(key, { digest: options.bodyDigest, result });
  }

  /** The answer to a batch that repeated `key` within the group, once the group committed. */
  replayOf(key: string, options: AppendOptions): AppendResult {
    const first = this.#written.get(key);
    if (first === undefined) throw new Error(`no batch of this group wrote the key ${JSON.stringify(key)}`);
    checkSameBody(key, first.digest, options.bodyDigest);
    return { ...first.result, replayed: true };
  }
}
