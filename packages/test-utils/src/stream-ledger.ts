import { decodeCursor } from '@livelog/protocol';

/** The parts of an entry a ledger checks. */
export interface LedgerEntry {
  id: string;
  seq: number;
  msg: string;
}

/**
 * What writers were told was stored, stream by stream: from each acknowledged batch (`firstId`,
 * `lastId`) and the messages sent in it, the message every seq of every stream must hold. A reader's
 * or a history's entries are then checked against it seq by seq: nothing missing, nothing twice,
 * nothing out of order, nothing of another stream, every message the one acknowledged at that seq.
 */
export class StreamLedger {
  readonly #streams = new Map<string, { identity: string; bySeq: Map<number, string> }>();

  /** Records an acknowledged batch of `stream`: `msgs[i]` is at seq `first + i`. Throws on a contradicting ack. */
  acknowledged(stream: string, reply: { firstId: string; lastId: string }, msgs: readonly string[]): void {
    const first = decodeCursor(reply.firstId);
    const last = decodeCursor(reply.lastId);
    if (!first.ok || !last.ok) throw new Error(`${stream}: the ack holds malformed ids ${reply.firstId}..${reply.lastId}`);
    if (first.cursor.stream !== last.cursor.stream) throw new Error(`${stream}: an ack spanning two identities`);
    if (last.cursor.seq - first.cursor.seq + 1 !== msgs.length) {
      throw new Error(`${stream}: ${msgs.length} entries sent, ${reply.firstId}..${reply.lastId} acknowledged`);
    }
    const known = this.#streams.get(stream);
    if (known !== undefined && known.identity !== first.cursor.stream) {
      throw new Error(`${stream}: acknowledged under identity ${first.cursor.stream}, earlier under ${known.identity}`);
    }
    const record = known ?? { identity: first.cursor.stream, bySeq: new Map<number, string>() };
    this.#streams.set(stream, record);
    msgs.forEach((msg, index) => {
      const seq = first.cursor.seq + index;
      if (record.bySeq.has(seq)) throw new Error(`${stream}: seq ${seq} acknowledged twice`);
      record.bySeq.set(seq, msg);
    });
  }

  /** Streams with at least one acknowledged batch. */
  get streams(): string[] {
    return [...this.#streams.keys()];
  }

  identity(stream: string): string | undefined {
    return this.#streams.get(stream)?.identity;
  }

  /** The highest acknowledged seq of `stream` (0 for none). */
  lastSeq(stream: string): number {
    const record = this.#streams.get(stream);
    return record === undefined ? 0 : Math.max(0, ...record.bySeq.keys());
  }

  /**
   * Problems of `entries` as the whole content of `stream` from seq 1 (a reader from the start, or
   * full history), up to `upTo` (default: the last acknowledged seq). With `complete: false`, only
   * what is there is checked (seqs not acknowledged, as after a crash, may exist beyond the ledger).
   */
  problems(stream: string, entries: readonly LedgerEntry[], options: { upTo?: number; exact?: boolean } = {}): string[] {
    const record = this.#streams.get(stream);
    const problems: string[] = [];
    if (record === undefined) return entries.length === 0 ? [] : [`${stream}: ${entries.length} entries, none acknowledged`];
    const upTo = options.upTo ?? this.lastSeq(stream);
    const exact = options.exact ?? true;
    let expected = 1;
    for (const entry of entries) {
      const cursor = decodeCursor(entry.id);
      if (!cursor.ok || cursor.cursor.stream !== record.identity || cursor.cursor.seq !== entry.seq) {
        problems.push(`${stream}: entry ${entry.id} (seq ${entry.seq}) does not belong to identity ${record.identity}`);
        continue;
      }
      if (entry.seq !== expected) {
        problems.push(`${stream}: seq ${entry.seq} where ${expected} was due`);
        if (entry.seq < expected) continue;
        expected = entry.seq;
      }
      const acked = record.bySeq.get(entry.seq);
      if (acked !== undefined && acked !== entry.msg)
        problems.push(`${stream}: seq ${entry.seq} holds ${JSON.stringify(entry.msg)}, acknowledged ${JSON.stringify(acked)}`);
      if (acked === undefined && exact) problems.push(`${stream}: seq ${entry.seq} was never acknowledged`);
      expected++;
    }
    if (expected <= upTo) problems.push(`${stream}: ended at seq ${expected - 1}, ${upTo} acknowledged`);
    return problems;
  }
}
