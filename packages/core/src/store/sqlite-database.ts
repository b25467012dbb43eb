import { join } from 'node:path';
import { type EndInfo, isStreamName } from '@livelog/protocol';
import Database from 'better-sqlite3';
import type { EngineLog } from '../engine/engine-log.js';
import { encodeEntryBody } from '../entry/encode-entry.js';
import { LivelogError } from '../errors.js';
import type { ScanBudget } from './chunked-scan.js';
import { type IdempotencyLimits, idempotencyLimits } from './idempotency.js';
import type {
  ListStreamsPage,
  ListStreamsQuery,
  LogDatabase,
  OpenStreamOptions,
  SetStreamOptions,
  StreamChangeListener,
} from './log-database.js';
import type { AppendResult, FramePage, LogStore, RetentionPolicy, StoredStreamInfo } from './log-store.js';
import { makeDirSync } from './make-dir.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { type QueuedWork, SqliteGroupCommit, type Work } from './sqlite-group-commit.js';
import { listStreams } from './sqlite-list.js';
import { takeLock } from './sqlite-lock.js';
import { SqliteReader } from './sqlite-reader.js';
import { SqliteRetention } from './sqlite-retention.js';
import { hasSearchIndex, registerQueryFunction } from './sqlite-search.js';
import { SqliteStream, type SqliteStreamHost, type StreamRow } from './sqlite-stream.js';
import { SqliteWriter } from './sqlite-writer.js';
import { StreamChanges } from './stream-changes.js';
import { badStreamName, streamNotFound } from './stream-errors.js';
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
  /**
   * Longest wait, in ms, of a committed entry for its search index rows (default 50): they are
   * written after the commit that acknowledges it, off the readers' path. Searches find the entries
   * meanwhile all the same (they scan what the index lacks). Tests set it long to see that.
   */
  searchIndexDelayMs?: number;
  /** Where opening reports a migration that took time (the rebuild of an old search index). */
  log?: EngineLog;
}

/** The durability a database opened without one commits with. */
export const DEFAULT_DURABILITY: 'normal' | 'full' = 'full';

/**
 * Every stream in one SQLite file in WAL mode (better-sqlite3).
 *
 * Appends and ends of all streams are group-committed together (see SqliteGroupCommit); retention
 * and the purge of deleted streams run in batches (see SqliteRetention). Inserting and committing run on one writer thread (see SqliteWriter); catch-up pages
 * of frames are read on a reader thread (see SqliteReader), other reads on this thread's own connection. A lock file held in exclusive mode makes a second server on the same directory fail at
 * start instead of corrupting the sequences.
 */
export class SqliteDatabase implements LogDatabase, SqliteStreamHost {
  readonly kind = 'sqlite';
  /**
   * Group commits written (one serves every stream with pending work), and search windows read by
   * scanning because their piece range was sparse in the stream's own pieces (see sparse-window).
   */
  readonly stats = { commits: 0, sparseScans: 0 };
  readonly #options: SqliteDatabaseOptions;
  #db: Database.Database | undefined;
  #searchIndexed = false;
  #lock: Database.Database | undefined;
  #writer: SqliteWriter | undefined;
  /** The reader thread of catch-up pages, started by the first one (most databases never need it). */
  #reader: Promise<SqliteReader> | undefined;
  #checkpointer: SqliteCheckpointer | undefined;
  #nextKey = 1;
  readonly #handles = new Map<string, SqliteStream>();
  /**
   * Deletes in flight, by name. Until the writer has removed the row, a lookup of the name would
   * find the old row and hand out a handle of the deleted stream, whose appends are acknowledged
   * and then purged: lookups wait for the delete instead.
   */
  readonly #deleting = new Map<string, Promise<void>>();
  readonly #changes = new StreamChanges();
  readonly #commits: SqliteGroupCommit;
  readonly #retention: SqliteRetention;
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
    this.#retention = new SqliteRetention(
      {
        writer: () => (this.#closed ? undefined : this.#writer),
        committing: () => this.#commits.committing,
        statement: (sql) => this.statement(sql),
      },
      idempotencyLimits(options.idempotency),
    );
    this.#commits = new SqliteGroupCommit({
      writer: () => this.#writer,
      nextKey: () => this.#nextKey,
      policy: () => this.#retention.policy,
      statement: (sql) => this.statement(sql),
      committed: () => {
        this.stats.commits++;
        this.#checkpointer?.poke();
      },
      changed: (change) => this.#changes.emit(change),
    });
  }

  /** Path of the database file. */
  get file(): string {
    return join(this.#options.dir, 'livelog.db');
  }

  async open(): Promise<void> {
    // The entries are whatever programs logged, secrets included, and the file is no place for
    // tokens to guard: a data directory made here is its user's alone (an existing one is kept as is).
    makeDirSync(this.#options.dir, 0o700);
    this.#lock = takeLock(this.#options.dir);
    try {
      const started = performance.now();
      const durability = this.#options.durability ?? DEFAULT_DURABILITY;
      this.#writer = await SqliteWriter.start(this.file, durability, this.#options.searchIndex ?? true, this.#options.searchIndexDelayMs);
      if (this.#writer.searchIndexRebuilt) {
        const ms = Math.round(performance.now() - started);
        this.#options.log?.warn?.({ file: this.file, ms }, 'rebuilt the search index of an older layout');
      }
      // Started once the writer has made the file: it opens the database the writer set up.
      this.#checkpointer = await SqliteCheckpointer.start(this.file, durability).catch(async (error: unknown) => {
        await this.#writer?.close();
        this.#writer = undefined;
        throw error;
      });
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
      policy: this.#retention.policy,
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
      await this.#commits.committing;
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
    void this.#retention.purge(stream.key).catch(() => undefined);
    return true;
  }

  onStreamChange(listener: StreamChangeListener): () => void {
    return this.#changes.add(listener);
  }

  async prune(defaults: RetentionPolicy, batchSize: number): Promise<number> {
    return this.#retention.prune(defaults, batchSize);
  }

  /** SqliteStreamHost: prunes one stream by a policy given for it. */
  async prunePolicy(stream: SqliteStream, policy: RetentionPolicy, batchSize: number): Promise<number> {
    if (this.#closed || stream.deleted) return 0;
    return this.#retention.pruneStream(stream.key, policy, batchSize);
  }

  /**
   * Writes the search index rows of every entry committed so far, which otherwise follow their
   * commit within `searchIndexDelayMs`; resolves to how many entries were waiting. Searches do not
   * need it (they scan what the index lacks); it is for tests and tools that read the index itself.
   */
  async writeSearchIndex(): Promise<number> {
    return this.#requireWriter().request({ type: 'index' });
  }

  /** The durability the writer connection commits with, read back from it (`PRAGMA synchronous`). */
  async durability(): Promise<'normal' | 'full' | 'other'> {
    const level = await this.#requireWriter().request({ type: 'synchronous' });
    return level === 1 ? 'normal' : level === 2 ? 'full' : 'other';
  }

  /** Resolves once the checkpointer thread has copied every WAL frame committed so far into the file (tests). */
  async checkpointed(): Promise<void> {
    await this.#commits.committing;
    await this.#checkpointer?.idle();
  }

  async isReady(): Promise<boolean> {
    return !this.#closed && this.#db !== undefined && this.#writer?.failure === undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Commit what was accepted before closing: pending appends were promised an answer.
    await this.#commits.drain();
    await this.#checkpointer?.close();
    this.#checkpointer = undefined;
    await this.#writer?.close();
    this.#writer = undefined;
    const reader = this.#reader;
    this.#reader = undefined;
    await reader?.then(
      (started) => started.close(),
      () => undefined,
    );
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
    return this.#commits.push(stream, queued);
  }

  /** SqliteStreamHost: throws for a closed database or a deleted stream. */
  check(stream: SqliteStream): void {
    this.#checkOpen();
    if (stream.deleted) throw streamNotFound(stream.name);
  }

  /** SqliteStreamHost: a page of frames from the reader thread. */
  async readFrames(stream: SqliteStream, afterSeq: number, limit: number, idPrefix: string): Promise<FramePage | undefined> {
    // Checked and started in one synchronous step: a close that begins later finds the thread and closes it.
    this.check(stream);
    if (this.#reader === undefined) {
      const starting = SqliteReader.start(this.file);
      this.#reader = starting;
      starting.catch(() => {
        if (this.#reader === starting) this.#reader = undefined;
      });
    }
    const reader = await this.#reader;
    return reader.frames(stream.key, afterSeq, limit, idPrefix);
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

  #requireWriter(): SqliteWriter {
    if (this.#closed || this.#writer === undefined) throw new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the SQLite store is closed');
    return this.#writer;
  }

  #checkOpen(): void {
    if (this.#closed || this.#db === undefined) throw new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the SQLite store is closed');
  }
}
