import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type LogEntry, levelNumber } from '@livelog/protocol';
import Database from 'better-sqlite3';
import { type EntryFilter, isEmptyFilter, textMatches } from '../entry/entry-filter.js';
import type { NewEntry } from '../entry/new-entry.js';
import { LivelogError } from '../errors.js';
import { AppendListeners } from './append-listeners.js';
import { type ScanBudget, type SeqWindow, scanPage } from './chunked-scan.js';
import { GroupIdempotency, type RememberedKey } from './group-idempotency.js';
import { IDEMPOTENCY_TTL_MS } from './idempotency.js';
import type {
  AppendListener,
  AppendOptions,
  AppendResult,
  HealthCheckedStore,
  ReadPage,
  ReadQuery,
  RetentionPolicy,
  SourceInfo,
  StoreBounds,
  StoredEntry,
} from './log-store.js';
import { CommitBuilder } from './sqlite-commit-builder.js';
import { takeLock } from './sqlite-lock.js';
import { SqliteWriter } from './sqlite-writer.js';

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  /** Directory of the data; created when missing. The database is `livelog.db` inside it. */
  dir: string;
  /**
   * `normal` (default): an acknowledged batch survives a killed process (WAL, synchronous=NORMAL).
   * `full`: it also survives power loss (an fsync per commit).
   */
  durability?: 'normal' | 'full';
  /** How much work one history read may do per event-loop turn and in all. Defaults: see ScanBudget. */
  scanBudget?: ScanBudget;
}

interface PendingAppend {
  entries: readonly NewEntry[];
  options: AppendOptions;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/**
 * The embedded default store: one SQLite file in WAL mode (better-sqlite3).
 *
 * Appends are group-committed: the appends that arrive while the previous commit runs share the next
 * transaction, and each is acknowledged when it commits. Sequence numbers are assigned here, one group
 * at a time, and only for batches that will be written, so a failed commit leaves no hole. Inserting
 * and committing run on a writer thread (see SqliteWriter); reads use this thread's own connection,
 * which sees every commit as soon as it is acknowledged. A lock file held in exclusive mode makes a
 * second server on the same directory fail at start instead of corrupting the sequence.
 */
export class SqliteStore implements HealthCheckedStore {
  readonly kind = 'sqlite';
  readonly #options: SqliteStoreOptions;
  #db: Database.Database | undefined;
  #lock: Database.Database | undefined;
  #writer: SqliteWriter | undefined;
  #streamId = '';
  /** The newest seq committed. */
  #lastSeq = 0;
  #bytes = 0;
  /** The greatest entry time committed; time marks record it per group. */
  #maxTime = 0;
  #pending: PendingAppend[] = [];
  #flushScheduled = false;
  #committing: Promise<void> | undefined;
  #closed = false;
  readonly #listeners = new AppendListeners();
  readonly #statements = new Map<string, Database.Statement>();

  readonly #scanBudget: ScanBudget;

  constructor(options: SqliteStoreOptions) {
    this.#options = options;
    this.#scanBudget = options.scanBudget ?? {};
  }

  get streamId(): string {
    return this.#streamId;
  }

  /** Path of the database file. */
  get file(): string {
    return join(this.#options.dir, 'livelog.db');
  }

  async open(): Promise<void> {
    mkdirSync(this.#options.dir, { recursive: true });
    this.#lock = takeLock(this.#options.dir);
    try {
      this.#writer = await SqliteWriter.start(this.file, this.#options.durability ?? 'normal');
    } catch (error) {
      this.#lock.close();
      this.#lock = undefined;
      throw error;
    }
    const db = new Database(this.file, { timeout: 5000 });
    db.pragma('cache_size = -16000');
    // This connection only reads; the writer thread owns every write.
    db.pragma('query_only = ON');
    db.function('livelog_matches', { deterministic: true }, (json: unknown, needle: unknown) =>
      textMatches(JSON.parse(String(json)) as LogEntry, String(needle)) ? 1 : 0,
    );
    this.#db = db;
    const meta = new Map(
      (db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((row) => [row.key, row.value]),
    );
    this.#streamId = meta.get('stream_id') as string;
    const maxSeq = (db.prepare('SELECT MAX(seq) AS seq FROM entries').get() as { seq: number | null }).seq ?? 0;
    this.#lastSeq = Math.max(Number(meta.get('last_seq') ?? 0), maxSeq);
    this.#bytes = (db.prepare('SELECT COALESCE(SUM(size), 0) AS bytes FROM entries').get() as { bytes: number }).bytes;
    this.#maxTime =
      (db.prepare('SELECT max_time FROM time_marks ORDER BY last_seq DESC LIMIT 1').get() as { max_time: number } | undefined)?.max_time ??
      0;
  }

  append(entries: readonly NewEntry[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.#closed || this.#db === undefined) {
      return Promise.reject(new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the SQLite store is closed'));
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ entries, options, resolve, reject });
      this.#scheduleFlush();
    });
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

  /** Commits every pending append in one transaction, then acknowledges each and tells listeners. */
  async #commitPending(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const writer = this.#writer;
    if (writer === undefined) {
      for (const item of batch) item.reject(new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the SQLite store is closed'));
      return;
    }
    const commit = new CommitBuilder(this.#streamId, this.#lastSeq, this.#maxTime);
    const keys = new GroupIdempotency((key) => this.#rememberedKey(key));
    const written: { item: PendingAppend; result: AppendResult }[] = [];
    const repeats: { item: PendingAppend; key: string }[] = [];
    for (const item of batch) {
      try {
        const verdict = keys.check(item.options);
        if (verdict.kind === 'replay') item.resolve(verdict.result);
        else if (verdict.kind === 'after-commit') repeats.push({ item, key: verdict.key });
        else {
          const result = { ...commit.add(item.entries), replayed: false };
          keys.written(item.options, result);
          written.push({ item, result });
        }
      } catch (error) {
        item.reject(error);
      }
    }
    // A group of replays only writes nothing (a repeat within the group implies a write before it).
    if (commit.empty) return;
    try {
      await writer.request(commit.request(keys.records));
    } catch (error) {
      const failure = new LivelogError('LIVELOG_ERR_STORE_UNAVAILABLE', `the SQLite store could not commit: ${(error as Error).message}`, {
        cause: error,
      });
      for (const { item } of [...written, ...repeats]) item.reject(failure);
      return;
    }
    this.#lastSeq = commit.lastSeq;
    this.#maxTime = commit.maxTime;
    this.#bytes += commit.bytes;
    for (const { item, result } of written) item.resolve(result);
    for (const { item, key } of repeats) {
      try {
        item.resolve(keys.replayOf(key, item.options));
      } catch (error) {
        item.reject(error);
      }
    }
    this.#listeners.emit(commit.stored());
  }

  /** An idempotency key committed earlier, if this store still remembers it. */
  #rememberedKey(key: string): RememberedKey | undefined {
    const seen = this.#statement('SELECT digest, first_seq, last_seq FROM idempotency WHERE key = ?').get(key) as
      | { digest: string | null; first_seq: number; last_seq: number }
      | undefined;
    return seen === undefined ? undefined : { digest: seen.digest ?? undefined, firstSeq: seen.first_seq, lastSeq: seen.last_seq };
  }

  async readAfter(afterSeq: number, limit: number): Promise<StoredEntry[]> {
    const rows = this.#statement('SELECT seq, json FROM entries WHERE seq > ? ORDER BY seq LIMIT ?').raw(true).all(afterSeq, limit) as [
      number,
      string,
    ][];
    return rows.map(([seq, json]) => ({ seq, json }));
  }

  async read(query: ReadQuery): Promise<ReadPage> {
    // Scanned window by window with yields, so a filter matching little cannot freeze the loop.
    const filter = query.filter !== undefined && !isEmptyFilter(query.filter) ? query.filter : undefined;
    return scanPage(query, await this.bounds(), (window) => this.#readWindow(window, filter), this.#scanBudget);
  }

  /** The matching entries of one seq window (see scanPage): the only SQL of a history read. */
  #readWindow(window: SeqWindow, filter: EntryFilter | undefined): StoredEntry[] {
    const where = ['seq BETWEEN ? AND ?'];
    const params: (string | number)[] = [window.low, window.high];
    if (filter?.level !== undefined) {
      where.push('level >= ?');
      params.push(levelNumber(filter.level));
    }
    if (filter?.sources !== undefined && filter.sources.length > 0) {
      where.push(`source IN (${filter.sources.map(() => '?').join(', ')})`);
      params.push(...filter.sources);
    }
    if (filter?.q) {
      where.push('livelog_matches(json, ?)');
      params.push(filter.q.toLowerCase());
    }
    const sql = `SELECT seq, json FROM entries WHERE ${where.join(' AND ')} ORDER BY seq ${window.direction === 'backward' ? 'DESC' : 'ASC'} LIMIT ?`;
    const rows = this.#statement(sql)
      .raw(true)
      .all(...params, window.limit) as [number, string][];
    return rows.map(([seq, json]) => ({ seq, json }));
  }

  async bounds(): Promise<StoreBounds> {
    const first = (this.#statement('SELECT MIN(seq) AS seq FROM entries').get() as { seq: number | null }).seq;
    return { first: first ?? this.#lastSeq + 1, last: this.#lastSeq };
  }

  async seqBeforeTime(time: number): Promise<number> {
    const mark = this.#statement('SELECT last_seq FROM time_marks WHERE max_time >= ? ORDER BY max_time, last_seq LIMIT 1').get(time) as
      | { last_seq: number }
      | undefined;
    if (mark === undefined) return this.#lastSeq;
    const previous = this.#statement('SELECT MAX(last_seq) AS seq FROM time_marks WHERE last_seq < ?').get(mark.last_seq) as {
      seq: number | null;
    };
    // Scan from the marked batch on; past it only when retention removed the entry that set the mark.
    const first = this.#statement('SELECT seq FROM entries WHERE seq > ? AND time >= ? ORDER BY seq LIMIT 1').get(
      previous.seq ?? 0,
      time,
    ) as { seq: number } | undefined;
    return first === undefined ? this.#lastSeq : first.seq - 1;
  }

  async sources(): Promise<SourceInfo[]> {
    const rows = this.#statement('SELECT name, entries, last_seq, last_time FROM sources ORDER BY name').all() as {
      name: string;
      entries: number;
      last_seq: number;
      last_time: number;
    }[];
    return rows.map((row) => ({ name: row.name, entries: row.entries, lastSeq: row.last_seq, lastTime: row.last_time }));
  }

  async prune(policy: RetentionPolicy, batchSize: number): Promise<number> {
    const writer = this.#writer;
    if (this.#closed || writer === undefined) return 0;
    // Pruning must not race a commit: it counts on the bounds and byte total of committed data.
    await this.#committing;
    const { first, last } = await this.bounds();
    const oldest = this.#statement('SELECT seq, time, size FROM entries WHERE seq >= ? ORDER BY seq LIMIT ?')
      .raw(true)
      .all(first, batchSize) as [number, number, number][];
    const cutoff = policy.maxAgeMs === undefined ? undefined : Date.now() - policy.maxAgeMs;
    let count = last - first + 1;
    let removedBytes = 0;
    let upTo = 0;
    for (const [seq, time, size] of oldest) {
      const overCount = policy.maxEntries !== undefined && count > policy.maxEntries;
      const overBytes = policy.maxBytes !== undefined && this.#bytes - removedBytes > policy.maxBytes;
      const tooOld = cutoff !== undefined && time < cutoff;
      if (!overCount && !overBytes && !tooOld) break;
      upTo = seq;
      count--;
      removedBytes += size;
    }
    await writer.request({ type: 'prune', upTo, keysBefore: Date.now() - IDEMPOTENCY_TTL_MS });
    if (upTo === 0) return 0;
    // Commits that landed meanwhile added their own bytes: take away only what was removed.
    this.#bytes -= removedBytes;
    return upTo - first + 1;
  }

  async isReady(): Promise<boolean> {
    return !this.#closed && this.#db !== undefined && this.#writer?.failure === undefined;
  }

  onAppend(listener: AppendListener): () => void {
    return this.#listeners.add(listener);
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

  #requireDb(): Database.Database {
    if (this.#db === undefined) throw new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the SQLite store is closed');
    return this.#db;
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#requireDb().prepare(sql);
      // Filtered history builds many shapes of SQL; keep the cache from growing without bound.
      if (this.#statements.size > 200) this.#statements.clear();
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
