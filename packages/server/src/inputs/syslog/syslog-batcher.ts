import { isUtf8 } from 'node:buffer';
import { type IngestLimits, type LivelogError, type LogDatabase, type NewEntry, splitMessage } from '@livelog/core';
import { OPEN_GRANT } from '../../auth/tokens.js';
import { appendEntryGroups } from '../append-entry-groups.js';
import type { EntryGroup } from '../entry-group.js';
import { mapSyslog } from './map-syslog.js';
import { parseSyslog } from './parse-syslog.js';

/** What a batcher shares with the rest of the syslog input. */
export interface SyslogBatcherContext {
  database: LogDatabase;
  limits: IngestLimits;
  /** The livelog stream every message goes to. */
  stream: string;
  /** Takes bytes from the server's ingest budget; throws LIVELOG_ERR_INGEST_BUSY when they do not fit. */
  take(bytes: number): void;
  give(bytes: number): void;
  accepted(lines: number, entries: number, bytes: number): void;
  rejected(lines: number, error: LivelogError): void;
  /** An append failed (disk full, store gone): the entries are kept and retried. */
  failed(error: unknown): void;
  committed(): void;
}

/** Entries above which a TCP connection stops being read until some are stored. */
const HIGH_WATER_ENTRIES = 20_000;
/** Delay before a refused (busy budget) or failed append is tried again. */
const RETRY_MS = 100;
const MAX_RETRY_MS = 2_000;

/**
 * The messages of one syslog peer (a TCP connection, a UDP socket) on their way to the store: each
 * frame is parsed and mapped at once, and whatever arrived while the previous append was committing
 * is stored with one append, so a busy sender costs one commit per round trip of the store, not one
 * per message. Entries are never dropped here: while the budget is exhausted or the store fails the
 * batch waits and is retried, and `full` says the peer should stop being read (TCP backpressure).
 */
export class SyslogBatcher {
  readonly #context: SyslogBatcherContext;
  readonly #onFull: (full: boolean) => void;
  #entries: NewEntry[] = [];
  #lines = 0;
  #bytes = 0;
  #inFlight: Promise<void> | undefined;
  #retryMs = RETRY_MS;
  #timer: NodeJS.Timeout | undefined;
  #full = false;
  #idle: (() => void)[] = [];

  /** `onFull(true)`: stop reading the peer; `onFull(false)`: read again. */
  constructor(context: SyslogBatcherContext, onFull: (full: boolean) => void) {
    this.#context = context;
    this.#onFull = onFull;
  }

  /** Entries not yet stored. */
  get pending(): number {
    return this.#entries.length;
  }

  /** One frame, as received. A frame that is no syslog message is counted and reported, not stored. */
  frame(bytes: Buffer): void {
    const invalidUtf8 = !isUtf8(bytes);
    const text = bytes.toString('utf8');
    const now = Date.now();
    let entry: NewEntry;
    try {
      entry = mapSyslog(parseSyslog(text, now), invalidUtf8, { now, maxFutureSkewMs: this.#context.limits.maxFutureSkewMs });
    } catch (error) {
      this.#context.rejected(1, error as LivelogError);
      return;
    }
    for (const part of splitMessage(entry, this.#context.limits.maxMessageBytes)) this.#entries.push(part);
    this.#lines++;
    this.#bytes += bytes.length;
    this.#setFull(this.#entries.length >= HIGH_WATER_ENTRIES);
  }

  /** Starts storing what has arrived, unless an append is under way (its end starts the next). */
  flush(): void {
    if (this.#inFlight !== undefined || this.#timer !== undefined || this.#entries.length === 0) {
      if (this.#inFlight === undefined && this.#timer === undefined) this.#settle();
      return;
    }
    const count = Math.min(this.#entries.length, this.#context.limits.maxEntries);
    const entries = count === this.#entries.length ? this.#entries : this.#entries.slice(0, count);
    const share = count / this.#entries.length;
    const lines = count === this.#entries.length ? this.#lines : Math.round(this.#lines * share);
    const bytes = count === this.#entries.length ? this.#bytes : Math.round(this.#bytes * share);
    try {
      this.#context.take(bytes);
    } catch (error) {
      this.#context.rejected(0, error as LivelogError);
      this.#retryLater();
      return;
    }
    this.#entries = count === this.#entries.length ? [] : this.#entries.slice(count);
    this.#lines -= lines;
    this.#bytes -= bytes;
    const group: EntryGroup = { entries };
    // Syslog carries no token: who may send is decided by where it listens (loopback, or --token set).
    const target = { database: this.#context.database, stream: this.#context.stream, grant: OPEN_GRANT };
    this.#inFlight = appendEntryGroups(target, [group]).then(
      () => {
        this.#context.give(bytes);
        this.#context.committed();
        this.#context.accepted(lines, entries.length, bytes);
        this.#retryMs = RETRY_MS;
        this.#inFlight = undefined;
        this.#setFull(this.#entries.length >= HIGH_WATER_ENTRIES);
        this.flush();
      },
      (error: unknown) => {
        this.#context.give(bytes);
        this.#context.failed(error);
        // Put back in front, in order: a failed commit stored nothing of the batch.
        this.#entries = entries.concat(this.#entries);
        this.#lines += lines;
        this.#bytes += bytes;
        this.#inFlight = undefined;
        this.#retryLater();
      },
    );
  }

  /** Resolves once everything received so far is stored. */
  drained(): Promise<void> {
    if (this.#entries.length === 0 && this.#inFlight === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idle.push(resolve);
      this.flush();
    });
  }

  /** Stops retrying; what is not stored by now is given up (the server is going away). */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #retryLater(): void {
    this.#setFull(true);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#retryMs);
    this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
  }

  #setFull(full: boolean): void {
    if (full === this.#full) return;
    this.#full = full;
    this.#onFull(full);
  }

  #settle(): void {
    if (this.#entries.length > 0 || this.#inFlight !== undefined) return;
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }
}
