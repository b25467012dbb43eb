// Long file: the multi-stream database's group commit, stream registry and retention share one connection and queue; split pending.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type EndInfo, isStreamName, type StreamRetention } from '@livelog/protocol';
import Database from 'better-sqlite3';
import { encodeEntryBody } from '../entry/encode-entry.js';
import type { NewEntry } from '../entry/new-entry.js';
import { LivelogError } from '../errors.js';
import type { ScanBudget } from './chunked-scan.js';
import { GroupIdempotency, type RememberedKey } from './group-idempotency.js';
import { type IdempotencyLimits, idempotencyLimits } from './idempotency.js';
import {
  effectiveRetention,
  type ListStreamsPage,
  type ListStreamsQuery,
  type LogDatabase,
  type OpenStreamOptions,
  type SetStreamOptions,
  type StreamChangeListener,
} from './log-database.js';
import type { AppendOptions, AppendResult, EndRequest, LogStore, RetentionPolicy, StoredStreamInfo } from './log-store.js';
import { CommitBuilder } from './sqlite-commit-builder.js';
import { listStreams } from './sqlite-list.js';
import { takeLock } from './sqlite-lock.js';
import { SEQ_BITS, SEQ_MASK } from './sqlite-schema.js';
import { hasSearchIndex, registerQueryFunction } from './sqlite-search.js';
import { SqliteStream, type SqliteStreamHost, type StreamRow } from './sqlite-stream.js';
import { type DuePolicy, SqliteWriter } from './sqlite-writer.js';
import { StreamChanges } from './stream-changes.js';
import { badStreamName, streamEnded, streamNotFound } from './stream-errors.js';
import { createStreamId } from './stream-id.js';

/** Options of the SQLite database. */
export interface SqliteDatabaseOptions {
  /** Directory of the data; created when missing. The database is `livelog.db` inside it. */
  dir: string;
  /**
   * `full` (default): an acknowledged batch survives power loss too (an fsync per group commit).
   * `normal`: it survives a killed process, not power loss (WAL, synchronous=NORMAL).
   */
  durability?: 'normal' | 'full';
  idempotency?: IdempotencyLimits;
  /** How much work one history read may do per event-loop turn and in all. Defaults: see ScanBudget. */
  scanBudget?: ScanBudget;
  /**
   * Keep a full-text (FTS5 trigram) index of the entries so that `q` searches read candidates, not
   * every row. Built on open when missing; false drops it (searches then scan). Defaults to true.
   */
  searchIndex?: boolean;
}

type Work = { entries: readonly NewEntry[]; options: AppendOptions } | { end: EndRequest };

/** Work as queued: an append carries its entries' JSON bodies, encoded when it was queued. */
type QueuedWork = { entries: readonly NewEntry[]; options: AppendOptions; bodies: string[] } | { end: EndRequest };

interface Pending {
  stream: SqliteStream;
  work: QueuedWork;
  resolve: (value: AppendResult | EndInfo) => void;
  reject: (error: unknown) => void;
}

/** The durability a database opened without one commits with. */
export const DEFAULT_DURABILITY: 'normal' | 'full' = 'full';

/** Entries removed per purge step of a deleted stream. */
const PURGE_BATCH = 5000;

/**
 * Every stream in one SQLite file in WAL mode (better-sqlite3).
 *
 * Appends and ends of all streams are group-committed together: what arrives while the previous
 * commit runs shares the next transaction, and each is acknowledged when it commits. Seqs are
 * assigned here, per stream, only for batches that will be written, so a failed commit leaves no hole.
 * Inserting and committing run on one writer thread (see SqliteWriter); reads use this thread's own
 * connection. A lock file held in exclusive mode makes a second server on the same directory fail at
 * start instead of corrupting the sequences.
 */
export class SqliteDatabase implements LogDatabase, SqliteStreamHost {
  readonly kind = 'sqlite';
  /** Group commits written (one serves every stream with pending work). */
  readonly stats = { commits: 0 };
  readonly #options: SqliteDatabaseOptions;
  readonly #keyLimits: Required<IdempotencyLimits>;
  #db: Database.Database | undefined;
  #searchIndexed = false;
  #lock: Database.Database | undefined;
  #writer: SqliteWriter | undefined;
  #nextKey = 1;
  #policy: DuePolicy;
  #policyKey = '';
  readonly #handles = new Map<string, SqliteStream>();
  /**
   * Deletes in flight, by name. Until the writer has removed the row, a lookup of the name would
   * find the old row and hand out a handle of the deleted stream, whose appends are acknowledged
   * and then purged: lookups wait for the delete instead.
   */
  readonly #deleting = new Map<string, Promise<void>>();
  readonly #changes = new StreamChanges();
  #pending: Pending[] = [];
  #flushScheduled = false;
  #committing: Promise<void> | undefined;
  #closed = false;
  readonly #statements = new Map<string, Database.Statement>();

  readonly scanBudget: ScanBudget;

  /** True when the file holds the search index (see SqliteDatabaseOptions.searchIndex). */
  get searchIndexed(): boolean {
    return this.#searchIndexed;
  }

  constructor(options: SqliteDatabaseOptions) {
    this.#options = options;
    this.scanBudget = options.scanBudget ?? {};
    this.#keyLimits = idempotencyLimits(options.idempotency);
    this.#policy = { maxEntries: null, maxBytes: null, maxAgeMs: null, maxKeys: this.#keyLimits.maxKeys };
    this.#policyKey = JSON.stringify(this.#policy);
  }

  /** Path of the database file. */
  get file(): string {
    return join(this.#options.dir, 'livelog.db');
  }

  async open(): Promise<void> {
    mkdirSync(this.#options.dir, { recursive: true });
    this.#lock = takeLock(this.#options.dir);
    try {
      this.#writer = await SqliteWriter.start(this.file, this.#options.durability ?? DEFAULT_DURABILITY, this.#options.searchIndex ?? true);
    } catch (error) {
      this.#lock.close();
      this.#lock = undefined;
      throw error;
    }
    const db = new Database(this.file, { timeout: 5000 });
    db.pragma('cache_size = -16000');
    // This connection only reads; the writer thread owns every write.
    db.pragma('query_only = ON');
    registerQueryFunction(db);
    this.#searchIndexed = hasSearchIndex(db);
    this.#db = db;
    const stored = Number((db.prepare("SELECT value FROM meta WHERE key = 'next_key'").get() as { value: string } | undefined)?.value ?? 1);
    const maxKey = (
      db.prepare('SELECT MAX(key) AS k FROM (SELECT key FROM streams UNION ALL SELECT key FROM deleted_streams)').get() as {
        k: number | null;
      }
    ).k;
    this.#nextKey = Math.max(stored, (maxKey ?? -1) + 1, 1);
  }

  async stream(name: string): Promise<LogStore | undefined> {
    await this.#deleting.get(name);
    this.#checkOpen();
    if (!isStreamName(name)) return undefined;
    const cached = this.#handles.get(name);
    if (cached !== undefined) return cached.exists ? cached : undefined;
    const row = this.statement('SELECT * FROM streams WHERE name = ?').get(name) as StreamRow | undefined;
    if (row === undefined) return undefined;
    const stream = new SqliteStream(this, row, true);
    this.#handles.set(name, stream);
    return stream;
  }

  async openStream(name: string, options: OpenStreamOptions = {}): Promise<LogStore> {
    await this.#deleting.get(name);
    return this.#handle(name, options);
  }

  async setStream(name: string, options: SetStreamOptions): Promise<StoredStreamInfo> {
    await this.#deleting.get(name);
    const stream = this.#handle(name, {});
    const writer = this.#requireWriter();
    if (options.labels !== undefined) stream.labels = { ...options.labels };
    const retention: [boolean, string | null] =
      options.retention === undefined ? [false, null] : [true, options.retention === null ? null : JSON.stringify(options.retention)];
    await writer.request({
      type: 'set',
      key: stream.key,
      name,
      identity: stream.identity,
      created: stream.created,
      labels: options.labels === undefined ? (stream.exists ? null : JSON.stringify(stream.labels)) : JSON.stringify(options.labels),
      retention,
      nextKey: this.#nextKey,
      policy: this.#policy,
    });
    if (stream.deleted) throw streamNotFound(name);
    if (!stream.exists) {
      stream.exists = true;
      this.#changes.emit({ type: 'created', name });
    }
    return stream.info();
  }

  async list(query: ListStreamsQuery): Promise<ListStreamsPage> {
    this.#checkOpen();
    return listStreams((sql) => this.statement(sql), query);
  }

  async delete(name: string): Promise<boolean> {
    const stream = await this.stream(name);
    if (!(stream instanceof SqliteStream)) return false;
    const writer = this.#requireWriter();
    // From here on its calls reject; appends queued before are refused at commit.
    stream.deleted = true;
    this.#handles.delete(name);
    const removing = (async () => {
      await this.#committing;
      await writer.request({ type: 'delete', key: stream.key });
    })();
    const settled = removing.then(
      () => undefined,
      () => undefined,
    );
    this.#deleting.set(name, settled);
    try {
      await removing;
    } finally {
      if (this.#deleting.get(name) === settled) this.#deleting.delete(name);
    }
    this.#changes.emit({ type: 'deleted', name });
    void this.#purge(stream.key).catch(() => undefined);
    return true;
  }

  onStreamChange(listener: StreamChangeListener): () => void {
    return this.#changes.add(listener);
  }

  async prune(defaults: RetentionPolicy, batchSize: number): Promise<number> {
    const writer = this.#writer;
    if (this.#closed || writer === undefined) return 0;
    const policy: DuePolicy = {
      maxEntries: defaults.maxEntries ?? null,
      maxBytes: defaults.maxBytes ?? null,
      maxAgeMs: defaults.maxAgeMs ?? null,
      maxKeys: this.#keyLimits.maxKeys,
    };
    const policyKey = JSON.stringify(policy);
    if (policyKey !== this.#policyKey) {
      // New defaults (the first pass after open): every stream's due time is judged again, once.
      this.#policy = policy;
      this.#policyKey = policyKey;
      await writer.request({ type: 'policy', policy });
    }
    let removed = 0;
    // A deletion interrupted by a restart goes on (in batches, like any deletion).
    const orphan = this.statement('SELECT key FROM deleted_streams LIMIT 1').get() as { key: number } | undefined;
    if (orphan !== undefined && (await writer.request({ type: 'purge', key: orphan.key, limit: PURGE_BATCH })) === 0)
      removed += PURGE_BATCH;
    const keysBefore = Date.now() - this.#keyLimits.ttlMs;
    if (this.statement('SELECT 1 FROM stream_keys WHERE created < ? LIMIT 1').get(keysBefore) !== undefined) {
      removed += await writer.request({ type: 'expire-keys', before: keysBefore, limit: batchSize });
    }
    // Only streams whose due time has come: an idle stream costs nothing per pass.
    const due = this.statement('SELECT key, name, retention FROM streams WHERE prune_due <= ? ORDER BY prune_due LIMIT 64').all(
      Date.now(),
    ) as {
      key: number;
      name: string;
      retention: string | null;
    }[];
    for (const row of due) {
      if (removed >= batchSize) break;
      const own = row.retention === null ? undefined : (JSON.parse(row.retention) as StreamRetention);
      removed += await this.#pruneStream(row.key, effectiveRetention(defaults, own), batchSize - removed);
    }
    return removed;
  }

  /** SqliteStreamHost: prunes one stream by a policy given for it. */
  async prunePolicy(stream: SqliteStream, policy: RetentionPolicy, batchSize: number): Promise<number> {
    if (this.#closed || stream.deleted) return 0;
    return this.#pruneStream(stream.key, policy, batchSize);
  }

  /** The durability the writer connection commits with, read back from it (`PRAGMA synchronous`). */
  async durability(): Promise<'normal' | 'full' | 'other'> {
    const level = await this.#requireWriter().request({ type: 'synchronous' });
    return level === 1 ? 'normal' : level === 2 ? 'full' : 'other';
  }

  async isReady(): Promise<boolean> {
    return !this.#closed && this.#db !== undefined && this.#writer?.failure === undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Commit what was accepted before closing: pending appends were promised an answer.
    while (this.#committing !== undefined || this.#pending.length > 0 || this.#flushScheduled) {
      if (this.#committing === undefined && !this.#flushScheduled) this.#scheduleFlush();
      await (this.#committing ?? new Promise((resolve) => setImmediate(resolve)));
    }
    await this.#writer?.close();
    this.#writer = undefined;
    this.#db?.close();
    this.#db = undefined;
    this.#lock?.close();
    this.#lock = undefined;
  }

  /** SqliteStreamHost: queues an append or an end for the next group commit. */
  enqueue(stream: SqliteStream, work: Work): Promise<AppendResult | EndInfo> {
    if (this.#closed || this.#db === undefined) {
      return Promise.reject(new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the SQLite store is closed'));
    }
    if (stream.deleted) return Promise.reject(streamNotFound(stream.name));
    let queued: QueuedWork;
    try {
      // Encoded now, while the writer thread commits the previous group: only the `id`/`seq` head,
      // which needs the seq, is left for the group commit, whose building the writer waits for.
      queued = 'entries' in work ? { ...work, bodies: work.entries.map(encodeEntryBody) } : work;
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ stream, work: queued, resolve, reject });
      this.#scheduleFlush();
    });
  }

  /** SqliteStreamHost: throws for a closed database or a deleted stream. */
  check(stream: SqliteStream): void {
    this.#checkOpen();
    if (stream.deleted) throw streamNotFound(stream.name);
  }

  statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      if (this.#db === undefined) throw new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the SQLite store is closed');
      statement = this.#db.prepare(sql);
      // Filtered history builds many shapes of SQL; keep the cache from growing without bound.
      if (this.#statements.size > 200) this.#statements.clear();
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #handle(name: string, options: OpenStreamOptions): SqliteStream {
    this.#checkOpen();
    if (!isStreamName(name)) throw badStreamName(name);
    let stream = this.#handles.get(name);
    if (stream !== undefined) return stream;
    const row = this.statement('SELECT * FROM streams WHERE name = ?').get(name) as StreamRow | undefined;
    if (row !== undefined) stream = new SqliteStream(this, row, true);
    else {
      const created = Date.now();
      const labels = JSON.stringify(options.labels ?? {});
      const fresh = { key: this.#nextKey++, name, identity: createStreamId(), labels, created, end_info: null, last_seq: 0, max_time: 0 };
      stream = new SqliteStream(this, fresh, false);
    }
    this.#handles.set(name, stream);
    return stream;
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
    const writer = this.#writer;
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
      await writer.request(commit.request(now, this.#nextKey, this.#policy));
      this.stats.commits++;
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
      this.#changes.emit({ type: 'created', name: stream.name });
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
      if (section.end !== undefined) this.#changes.emit({ type: 'ended', name: stream.name });
    }
  }

  /** An idempotency key of a stream committed earlier, if still remembered. */
  #rememberedKey(stream: number, key: string): RememberedKey | undefined {
    const seen = this.statement('SELECT digest, first_seq, last_seq FROM stream_keys WHERE stream = ? AND key = ?').get(stream, key) as
      | { digest: string | null; first_seq: number; last_seq: number }
      | undefined;
    return seen === undefined ? undefined : { digest: seen.digest ?? undefined, firstSeq: seen.first_seq, lastSeq: seen.last_seq };
  }

  /** Removes up to `batchSize` of one stream's oldest entries that `policy` no longer keeps. */
  async #pruneStream(key: number, policy: RetentionPolicy, batchSize: number): Promise<number> {
    const writer = this.#requireWriter();
    // Pruning must not race a commit: it counts on the committed counters.
    await this.#committing;
    const row = this.statement('SELECT entries, bytes FROM streams WHERE key = ?').get(key) as
      | { entries: number; bytes: number }
      | undefined;
    if (row === undefined) return 0;
    const oldest = this.statement(
      `SELECT seq & ${SEQ_MASK}, COALESCE(received, time), size FROM entries WHERE seq > (? << ${SEQ_BITS}) AND seq <= ((? << ${SEQ_BITS}) | ${SEQ_MASK}) ORDER BY seq LIMIT ?`,
    )
      .raw(true)
      .all(key, key, batchSize) as [number, number, number][];
    const cutoff = policy.maxAgeMs === undefined ? undefined : Date.now() - policy.maxAgeMs;
    let count = row.entries;
    let bytes = row.bytes;
    let upTo = 0;
    let removed = 0;
    for (const [seq, received, size] of oldest) {
      const overCount = policy.maxEntries !== undefined && count > policy.maxEntries;
      const overBytes = policy.maxBytes !== undefined && bytes > policy.maxBytes;
      const tooOld = cutoff !== undefined && received < cutoff;
      if (!overCount && !overBytes && !tooOld) break;
      upTo = seq;
      count--;
      bytes -= size;
      removed++;
    }
    await writer.request({ type: 'prune', key, upTo, policy: this.#policy });
    return removed;
  }

  /** Removes a deleted stream's entries in batches, yielding between them. */
  async #purge(key: number): Promise<void> {
    for (;;) {
      const writer = this.#writer;
      if (this.#closed || writer === undefined) return;
      if ((await writer.request({ type: 'purge', key, limit: PURGE_BATCH })) === 1) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  #requireWriter(): SqliteWriter {
    if (this.#closed || this.#writer === undefined) throw new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the SQLite store is closed');
    return this.#writer;
  }

  #checkOpen(): void {
    if (this.#closed || this.#db === undefined) throw new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the SQLite store is closed');
  }
}
