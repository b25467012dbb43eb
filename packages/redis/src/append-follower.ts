import { encodeEntryHead, type StoredEntry } from '@livelog/core';
import type { CommandSender } from './lua-script.js';
import type { RedisKeys } from './redis-keys.js';
import { type RawStreamEntry, toRows, toStored } from './stream-rows.js';

/** What the follower tells its store. */
export interface AppendFollowerHandlers {
  /** Entries appended by any process, in seq order, each once. */
  onEntries(entries: StoredEntry[]): void;
  /** The stream in Redis has another identity than the one followed (the data was wiped). */
  onIdentity(stream: string): void;
  /** A read failed; the follower retries with backoff. */
  onError(error: unknown): void;
}

/** Options of the follower. */
export interface AppendFollowerOptions {
  /** A connection of its own: XREAD BLOCK holds it for the whole block time. */
  connection: CommandSender & { destroy(): void; readonly isReady: boolean };
  keys: RedisKeys;
  /** Identity of the stream followed. */
  stream: string;
  /** Entries after this seq are reported. */
  afterSeq: number;
  /** XREAD BLOCK time in ms; after each empty block the identity is checked. */
  blockMs: number;
  /** Most entries per XREAD. */
  pageSize: number;
  handlers: AppendFollowerHandlers;
}

type XReadReply = [key: string, entries: RawStreamEntry[]][] | null;

/**
 * The one XREAD BLOCK loop of a store: it reports every entry appended to the stream, by this
 * process or any other, exactly once and in seq order. Its position is the seq of the last entry
 * reported, passed back to every XREAD (never `$`, which would skip what was appended between two
 * calls), so after a lost connection it resumes where it stopped and loses nothing.
 */
export class AppendFollower {
  readonly #options: AppendFollowerOptions;
  #stream: string;
  #afterSeq: number;
  #stopped = false;
  #running: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(options: AppendFollowerOptions) {
    this.#options = options;
    this.#stream = options.stream;
    this.#afterSeq = options.afterSeq;
  }

  /** Seq of the last entry reported. */
  get position(): number {
    return this.#afterSeq;
  }

  /** True while the XREAD connection is up; live entries arrive only then. */
  get connected(): boolean {
    return !this.#stopped && this.#options.connection.isReady;
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  /** Ends the loop; a blocked XREAD is cut by destroying the connection. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#wake?.();
    this.#options.connection.destroy();
    await this.#running;
  }

  async #loop(): Promise<void> {
    const { connection, keys, blockMs, pageSize, handlers } = this.#options;
    let failures = 0;
    while (!this.#stopped) {
      try {
        const reply = await connection.sendCommand<XReadReply>([
          'XREAD',
          'COUNT',
          String(pageSize),
          'BLOCK',
          String(blockMs),
          'STREAMS',
          keys.log,
          `${this.#afterSeq}-0`,
        ]);
        failures = 0;
        if (this.#stopped) break;
        const rows = toRows(reply?.[0]?.[1] ?? null);
        const first = rows[0];
        if (first === undefined || !first.json.startsWith(encodeEntryHead(this.#stream, first.seq))) {
          // An empty block, or entries of another identity: the stream may have been wiped and
          // started again, with seqs at or below ours that XREAD would never return.
          await this.#checkIdentity();
          continue;
        }
        this.#afterSeq = (rows[rows.length - 1] as StoredEntry).seq;
        handlers.onEntries(rows.map(toStored));
      } catch (error) {
        if (this.#stopped) break;
        failures++;
        handlers.onError(error);
        await this.#sleep(Math.min(2000, 50 * 2 ** failures) * (0.5 + Math.random() / 2));
      }
    }
  }

  async #checkIdentity(): Promise<void> {
    const stream = await this.#options.connection.sendCommand<string | null>(['HGET', this.#options.keys.meta, 'stream']);
    if (stream === null || stream === this.#stream || this.#stopped) return;
    this.#stream = stream;
    this.#afterSeq = 0;
    this.#options.handlers.onIdentity(stream);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}
