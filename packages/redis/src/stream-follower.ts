import { encodeEntryHead, RowPageSize, type StoredEntry } from '@livelog/core';
import type { CommandSender } from './lua-script.js';
import type { RedisKeys } from './redis-keys.js';
import { type RawStreamEntry, toRows, toStored } from './stream-rows.js';

/** What a follower tells the stream handle it follows. */
export interface FollowerHost {
  readonly keys: RedisKeys;
  /** Entries appended by any process, in seq order, each once. */
  onEntries(entries: StoredEntry[]): void;
  /** The stream in Redis has another identity than the one followed (its keys were wiped). */
  onIdentity(stream: string): void;
  /** The stream was ended (`end` JSON), after every entry before the end was reported. */
  onEnd(end: string): void;
  /** The stream (this identity of it) was deleted by a `delete` (of any process). */
  onDeleted(identity: string): void;
  onError(error: unknown): void;
}

type StateReply = [stream: string | null, seq: string | null, end: string | null];

/**
 * Follows one stream while it has listeners: a Pub/Sub hint per append (`a <identity> <lastSeq>`,
 * published by the append script itself), end (`e …`) or delete (`d <identity>`) wakes it, and it
 * catches up with XRANGE from the last seq it reported, so a lost hint only delays, never loses, an
 * entry. The database polls every followed stream's state on one shared timer, which also catches
 * hints lost while the subscriber connection was down and a wipe of the keys. A stream nobody reads
 * has no follower, no subscription and no timer.
 */
export class StreamFollower {
  readonly #link: CommandSender;
  readonly #host: FollowerHost;
  /**
   * Entries per catch-up XRANGE, sized by the bytes of those read so far (4 first, then about 4 MiB of
   * them, at most `pageSize`): a COUNT of 1,000 entries near the line limit (1 MiB) was a 1 GiB reply
   * when a follower fell behind (a burst from another instance, a reconnect).
   */
  readonly #page: RowPageSize;
  #identity: string;
  #position: number;
  /** Seq of the end, once known; the end is reported when the position reaches it. */
  #endAt: { seq: number; json: string } | undefined;
  #ended = false;
  #running: Promise<void> | undefined;
  #again = false;
  /** A request during a run asked for the state to be read too. */
  #stateAgain = false;
  #stopped = false;

  constructor(link: CommandSender, host: FollowerHost, identity: string, position: number, pageSize: number) {
    this.#link = link;
    this.#host = host;
    this.#identity = identity;
    this.#position = position;
    this.#page = new RowPageSize(pageSize);
  }

  get channel(): string {
    return this.#host.keys.hints;
  }

  get position(): number {
    return this.#position;
  }

  stop(): void {
    this.#stopped = true;
  }

  /** A hint arrived on the stream's channel. */
  hint(message: string): void {
    const [kind, identity, seq] = message.split(' ');
    if (identity !== this.#identity || kind === 'e') {
      // Another identity (the keys were wiped and written again), or an end: read the state itself.
      this.poll();
      return;
    }
    if (kind === 'd') {
      if (!this.#stopped) this.#host.onDeleted(identity);
      return;
    }
    if (Number(seq) > this.#position) this.#schedule();
  }

  /** Checks the stream's state in Redis: identity, last seq, end. */
  poll(): void {
    this.#schedule(true);
  }

  /** Runs one catch-up at a time; a request meanwhile runs another after it. */
  #schedule(withState = false): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#again = true;
      if (withState) this.#stateAgain = true;
      return;
    }
    this.#running = this.#run(withState).finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#stopped) {
        const state = this.#stateAgain;
        this.#again = false;
        this.#stateAgain = false;
        this.#schedule(state);
      }
    });
  }

  async #run(withState: boolean): Promise<void> {
    try {
      if (withState && !(await this.#checkState())) return;
      await this.#catchUp();
      const end = this.#endAt;
      if (end !== undefined && !this.#ended && this.#position >= end.seq && !this.#stopped) {
        this.#ended = true;
        this.#host.onEnd(end.json);
      }
    } catch (error) {
      if (!this.#stopped) this.#host.onError(error);
    }
  }

  /** False when the stream is gone (nothing to read until it is written again). */
  async #checkState(): Promise<boolean> {
    const [stream, seq, end] = await this.#link.send<StateReply>(this.#host.keys.meta, [
      'HMGET',
      this.#host.keys.meta,
      'stream',
      'seq',
      'end',
    ]);
    if (stream === null || this.#stopped) return false;
    if (stream !== this.#identity) {
      this.#identity = stream;
      this.#position = 0;
      this.#endAt = undefined;
      this.#ended = false;
      this.#host.onIdentity(stream);
    }
    if (end !== null && this.#endAt === undefined) this.#endAt = { seq: Number(seq ?? 0), json: end };
    return true;
  }

  async #catchUp(): Promise<void> {
    for (;;) {
      if (this.#stopped) return;
      const count = this.#page.rows;
      const reply = await this.#link.send<RawStreamEntry[]>(this.#host.keys.log, [
        'XRANGE',
        this.#host.keys.log,
        `${this.#position + 1}-0`,
        '+',
        'COUNT',
        String(count),
      ]);
      if (this.#stopped) return;
      const rows = toRows(reply);
      const first = rows[0];
      if (first === undefined) return;
      if (!first.json.startsWith(encodeEntryHead(this.#identity, first.seq))) {
        // Entries of another identity: the keys were wiped and written again. Read on only if the
        // state names a new identity (entries that match neither are left to the next hint).
        const before = this.#identity;
        if ((await this.#checkState()) && this.#identity !== before) continue;
        return;
      }
      this.#position = (rows[rows.length - 1] as StoredEntry).seq;
      const entries = rows.map(toStored);
      this.#page.observe(entries);
      this.#host.onEntries(entries);
      if (rows.length < count) return;
    }
  }
}
