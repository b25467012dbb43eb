import type { EndInfo } from '@livelog/protocol';
import type Database from 'better-sqlite3';
import type { NewEntry } from '../entry/new-entry.js';
import { LivelogError } from '../errors.js';
import { GroupIdempotency, type RememberedKey } from './group-idempotency.js';
import type { StreamChange } from './log-database.js';
import type { AppendOptions, AppendResult, EndRequest } from './log-store.js';
import { CommitBuilder } from './sqlite-commit-builder.js';
import type { SqliteStream } from './sqlite-stream.js';
import type { DuePolicy, SqliteWriter } from './sqlite-writer.js';
import { streamEnded, streamNotFound } from './stream-errors.js';

/** An append or an end, as a stream hands it to its database. */
export type Work = { entries: readonly NewEntry[]; options: AppendOptions } | { end: EndRequest };

/** Work as queued: an append carries its entries' JSON bodies, encoded when it was queued. */
export type QueuedWork = { entries: readonly NewEntry[]; options: AppendOptions; bodies: string[] } | { end: EndRequest };

interface Pending {
  stream: SqliteStream;
  work: QueuedWork;
  resolve: (value: AppendResult | EndInfo) => void;
  reject: (error: unknown) => void;
}

/** What the group commit reads from its database at each commit (the values change while it runs). */
export interface GroupCommitHost {
  /** The writer thread, or undefined once the database closes. */
  writer(): SqliteWriter | undefined;
  /** The next free stream key, written with each commit. */
  nextKey(): number;
  /** The retention the writer judges `prune_due` by. */
  policy(): DuePolicy;
  /** A cached statement on the reading connection. */
  statement(sql: string): Database.Statement;
  /** Called once per group commit written. */
  committed(): void;
  /** Announces a stream created or ended by a commit. */
  changed(change: StreamChange): void;
}

/**
 * The group commit of a SQLite database: appends and ends of all streams that arrive while the
 * previous commit runs share the next transaction, and each is acknowledged when it commits. Seqs are
 * assigned here, per stream, only for batches that will be written, so a failed commit leaves no hole.
 */
export class SqliteGroupCommit {
  readonly #host: GroupCommitHost;
  #pending: Pending[] = [];
  #flushScheduled = false;
  #committing: Promise<void> | undefined;

  constructor(host: GroupCommitHost) {
    this.#host = host;
  }

  /** The commit running now, if any: work that must not race a commit awaits it. */
  get committing(): Promise<void> | undefined {
    return this.#committing;
  }

  /** Queues work for the next group commit; settles when that commit does. */
  push(stream: SqliteStream, work: QueuedWork): Promise<AppendResult | EndInfo> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ stream, work, resolve, reject });
      this.#scheduleFlush();
    });
  }

  /** Commits everything queued, including what arrives meanwhile: pending appends were promised an answer. */
  async drain(): Promise<void> {
    while (this.#committing !== undefined || this.#pending.length > 0 || this.#flushScheduled) {
      if (this.#committing === undefined && !this.#flushScheduled) this.#scheduleFlush();
      await (this.#committing ?? new Promise((resolve) => setImmediate(resolve)));
    }
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#committing !== undefined) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#committing = this.#commitPending().finally(() => {
        this.#committing = undefined;
        if (this.#pending.length > 0) this.#scheduleFlush();
      });
    });
  }

  /** Commits every pending append and end, of every stream, in one transaction; then acknowledges and announces. */
  async #commitPending(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const writer = this.#host.writer();
    if (writer === undefined) {
      for (const item of batch) item.reject(new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the SQLite store is closed'));
      return;
    }
    const now = Date.now();
    const commit = new CommitBuilder<SqliteStream>();
    const groupKeys = new Map<SqliteStream, GroupIdempotency>();
    const creating = new Set<SqliteStream>();
    const done: { item: Pending; value: AppendResult | EndInfo }[] = [];
    const repeats: { item: Pending; keys: GroupIdempotency; key: string; options: AppendOptions }[] = [];
    for (const item of batch) {
      const { stream, work } = item;
      try {
        if (stream.deleted) throw streamNotFound(stream.name);
        const ended = stream.endInfo !== undefined || commit.sections.get(stream)?.end !== undefined;
        if ('end' in work) {
          if (ended) throw streamEnded(stream.name);
          const end: EndInfo = { time: now };
          if (work.end.exitCode !== undefined) end.exitCode = work.end.exitCode;
          if (work.end.reason !== undefined) end.reason = work.end.reason;
          commit.end(stream, end);
          done.push({ item, value: end });
        } else {
          let keys = groupKeys.get(stream);
          if (keys === undefined) {
            keys = new GroupIdempotency((key) => this.#rememberedKey(stream.key, key));
            groupKeys.set(stream, keys);
          }
          const verdict = keys.check(work.options);
          if (verdict.kind === 'replay') {
            item.resolve(verdict.result);
            continue;
          }
          if (verdict.kind === 'after-commit') {
            repeats.push({ item, keys, key: verdict.key, options: work.options });
            continue;
          }
          if (ended) throw streamEnded(stream.name);
          const result = { ...commit.add(stream, work.entries, work.bodies), replayed: false };
          keys.written(work.options, result, now);
          done.push({ item, value: result });
        }
        if (!stream.exists && !creating.has(stream)) {
          creating.add(stream);
          commit.create(stream, stream.name, stream.labels, stream.created);
        }
      } catch (error) {
        item.reject(error);
      }
    }
    for (const [stream, keys] of groupKeys)
      for (const [key, digest, first, last, created] of keys.records) commit.key(stream, [key, digest, first, last, created]);
    if (commit.empty) return;
    try {
      await writer.request(commit.request(now, this.#host.nextKey(), this.#host.policy()));
      this.#host.committed();
    } catch (error) {
      const failure = new LivelogError('LIVELOG_ERR_STORE_UNAVAILABLE', `the SQLite store could not commit: ${(error as Error).message}`, {
        cause: error,
      });
      for (const { item } of [...done, ...repeats]) item.reject(failure);
      return;
    }
    for (const [stream, section] of commit.sections) {
      stream.lastSeq = section.lastSeq;
      stream.maxTime = section.maxTime;
    }
    for (const stream of creating) {
      stream.exists = true;
      this.#host.changed({ type: 'created', name: stream.name });
    }
    for (const { item, value } of done) item.resolve(value);
    for (const { item, keys, key, options } of repeats) {
      try {
        item.resolve(keys.replayOf(key, options));
      } catch (error) {
        item.reject(error);
      }
    }
    for (const [stream, section] of commit.sections) {
      stream.announce(section.stored, section.end);
      if (section.end !== undefined) this.#host.changed({ type: 'ended', name: stream.name });
    }
  }

  /** An idempotency key of a stream committed earlier, if still remembered. */
  #rememberedKey(stream: number, key: string): RememberedKey | undefined {
    const seen = this.#host
      .statement('SELECT digest, first_seq, last_seq FROM stream_keys WHERE stream = ? AND key = ?')
      .get(stream, key) as { digest: string | null; first_seq: number; last_seq: number } | undefined;
    return seen === undefined ? undefined : { digest: seen.digest ?? undefined, firstSeq: seen.first_seq, lastSeq: seen.last_seq };
  }
}
