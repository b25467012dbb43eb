import { levelNumber } from '@livelog/protocol';
import { encodeEntry } from '../entry/encode-entry.js';
import type { NewEntry } from '../entry/new-entry.js';
import type { StoredEntry } from './log-store.js';
import type { CommitRequest } from './sqlite-writer.js';

/**
 * Builds the one transaction of a group commit: assigns seqs to the batches of the group in order,
 * encodes their entries, and gathers the columns, source statistics and time mark the writer thread
 * needs. Seqs are taken only by batches added, so a batch that cannot be encoded consumes none.
 */
export class CommitBuilder {
  readonly #stream: string;
  readonly #seqs: number[] = [];
  readonly #times: number[] = [];
  readonly #levels: number[] = [];
  readonly #sources: string[] = [];
  readonly #jsons: string[] = [];
  /** Per source: name, entries added, last seq, last time. */
  readonly #sourceStats = new Map<string, [string, number, number, number]>();
  #lastSeq: number;
  #maxTime: number;

  /** `lastSeq` and `maxTime` are the store's, as committed before this group. */
  constructor(stream: string, lastSeq: number, maxTime: number) {
    this.#stream = stream;
    this.#lastSeq = lastSeq;
    this.#maxTime = maxTime;
  }

  /** The newest seq taken so far: the store's after a successful commit. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** The greatest entry time so far. */
  get maxTime(): number {
    return this.#maxTime;
  }

  /** True while no batch was added. */
  get empty(): boolean {
    return this.#seqs.length === 0;
  }

  /** Bytes of entry JSON added (the store's retention byte count). */
  get bytes(): number {
    let bytes = 0;
    for (const json of this.#jsons) bytes += json.length;
    return bytes;
  }

  /**
   * Adds one batch after the previous ones; resolves its seqs. Throws, taking nothing, when an entry
   * cannot be encoded (fields JSON cannot carry).
   */
  add(entries: readonly NewEntry[]): { firstSeq: number; lastSeq: number } {
    const first = this.#lastSeq + 1;
    // Encode the whole batch before taking its seqs: a record JSON cannot carry consumes none.
    const jsons = entries.map((entry, i) => encodeEntry(this.#stream, first + i, entry));
    entries.forEach((entry, i) => {
      const seq = first + i;
      this.#seqs.push(seq);
      this.#times.push(entry.time);
      this.#levels.push(levelNumber(entry.level));
      this.#sources.push(entry.source);
      this.#jsons.push(jsons[i] as string);
      if (entry.time > this.#maxTime) this.#maxTime = entry.time;
      const stats = this.#sourceStats.get(entry.source);
      if (stats === undefined) this.#sourceStats.set(entry.source, [entry.source, 1, seq, entry.time]);
      else {
        stats[1]++;
        stats[2] = seq;
        stats[3] = entry.time;
      }
    });
    this.#lastSeq += entries.length;
    return { firstSeq: first, lastSeq: this.#lastSeq };
  }

  /** The writer thread's request, with the idempotency records to write in the same transaction. */
  request(keys: CommitRequest['keys']): CommitRequest {
    return {
      type: 'commit',
      seqs: this.#seqs,
      times: this.#times,
      levels: this.#levels,
      sources: this.#sources,
      jsons: this.#jsons,
      sourceStats: [...this.#sourceStats.values()],
      mark: [this.#lastSeq, this.#maxTime],
      keys,
      lastSeq: this.#lastSeq,
    };
  }

  /** The entries added, as listeners are told of them once committed. */
  stored(): StoredEntry[] {
    return this.#seqs.map((seq, i) => ({ seq, json: this.#jsons[i] as string }));
  }
}
