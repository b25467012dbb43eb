import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type LogEntry, levelNumber } from '@livelog/protocol';
import Database from 'better-sqlite3';
import { encodeEntry } from '../entry/encode-entry.js';
import { isEmptyFilter, textMatches } from '../entry/entry-filter.js';
import type { NewEntry } from '../entry/new-entry.js';
import { LivelogError } from '../errors.js';
import { AppendListeners } from './append-listeners.js';
import { checkSameBody, IDEMPOTENCY_TTL_MS } from './idempotency.js';
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
import { type CommitRequest, SqliteWriter } from './sqlite-writer.js';

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  /** Directory of the data; created when missing. The database is `livelog.db` inside it. */
  dir: string;
  /**
   * `normal` (default): an acknowledged batch survives a killed process (WAL, synchronous=NORMAL).
   * `full`: it also survives power loss (an fsync per commit).
   */
  durability?: 'normal' | 'full';
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

  constructor(options: SqliteStoreOptions) {
    this.#options = options;
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
    const request: CommitRequest = {
      type: 'commit',
      seqs: [],
      times: [],
      levels: [],
      sources: [],
      jsons: [],
      sourceStats: [],
      mark: null,
      keys: [],
      lastSeq: 0,
    };
    const sourceStats = new Map<string, [string, number, number, number]>();
    const written: { item: PendingAppend; result: AppendResult }[] = [];
    /** Keys written by this group: a batch repeating one answers like a retry. */
    const groupKeys = new Map<string, { digest: string | undefined; result: AppendResult }>();
    const replays: { item: PendingAppend; key: string }[] = [];
    let seq = this.#lastSeq;
    let maxTime = this.#maxTime;
    for (const item of batch) {
      const key = item.options.idempotencyKey;
      try {
        if (key !== undefined) {
          if (groupKeys.has(key)) {
            replays.push({ item, key });
            continue;
          }
          const seen = this.#statement('SELECT digest, first_seq, last_seq FROM idempotency WHERE key = ?').get(key) as
            | { digest: string | null; first_seq: number; last_seq: number }
            | undefined;
          if (seen !== undefined) {
            checkSameBody(key, seen.digest ?? undefined, item.options.bodyDigest);
            item.resolve({ firstSeq: seen.first_seq, lastSeq: seen.last_seq, replayed: true });
            continue;
          }
        }
        // Encode the whole batch before taking its seqs: a record JSON cannot carry consumes none.
        const jsons = item.entries.map((entry, i) => encodeEntry(this.#streamId, seq + 1 + i, entry));
        item.entries.forEach((entry, i) => {
          const entrySeq = seq + 1 + i;
          request.seqs.push(entrySeq);
          request.times.push(entry.time);
          request.levels.push(levelNumber(entry.level));
          request.sources.push(entry.source);
          request.jsons.push(jsons[i] as string);
          if (entry.time > maxTime) maxTime = entry.time;
          const stats = sourceStats.get(entry.source);
          if (stats === undefined) sourceStats.set(entry.source, [entry.source, 1, entrySeq, entry.time]);
          else {
            stats[1]++;
            stats[2] = entrySeq;
            stats[3] = entry.time;
          }
        });
        const result = { firstSeq: seq + 1, lastSeq: seq + item.entries.length, replayed: false };
        seq += item.entries.length;
        if (key !== undefined) {
          request.keys.push([key, item.options.bodyDigest ?? null, result.firstSeq, result.lastSeq, Date.now()]);
          groupKeys.set(key, { digest: item.options.bodyDigest, result });
        }
        written.push({ item, result });
      } catch (error) {
        item.reject(error);
      }
    }
    if (written.length === 0) {
      // Only replays of keys this group would have written: impossible without writes, kept for safety.
      for (const { item } of replays) item.reject(new LivelogError('LIVELOG_ERR_INTERNAL', 'idempotent replay without a write'));
      return;
    }
    request.sourceStats = [...sourceStats.values()];
    request.mark = [seq, maxTime];
    request.lastSeq = seq;
    try {
      await writer.request(request);
    } catch (error) {
      const failure = new LivelogError('LIVELOG_ERR_STORE_UNAVAILABLE', `the SQLite store could not commit: ${(error as Error).message}`, {
        cause: error,
      });
      for (const { item } of written) item.reject(failure);
      for (const { item } of replays) item.reject(failure);
      return;
    }
    this.#lastSeq = seq;
    this.#maxTime = maxTime;
    for (const json of request.jsons) this.#bytes += json.length;
    for (const { item, result } of written) item.resolve(result);
    for (const { item, key } of replays) {
      const first = groupKeys.get(key) as { digest: string | undefined; result: AppendResult };
      try {
        checkSameBody(key, first.digest, item.options.bodyDigest);
        item.resolve({ ...first.result, replayed: true });
      } catch (error) {
        item.reject(error);
      }
    }
    const appended: StoredEntry[] = request.seqs.map((entrySeq, i) => ({ seq: entrySeq, json: request.jsons[i] as string }));
    this.#listeners.emit(appended);
  }

  async readAfter(afterSeq: number, limit: number): Promise<StoredEntry[]> {
    const rows = this.#statement('SELECT seq, json FROM entries WHERE seq > ? ORDER BY seq LIMIT ?').raw(true).all(afterSeq, limit) as [
      number,
      string,
    ][];
    return rows.map(([seq, json]) => ({ seq, json }));
  }

  async read(query: ReadQuery): Promise<ReadPage> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.after !== undefined) {
      where.push('seq > ?');
      params.push(query.after);
    }
    if (query.before !== undefined) {
      where.push('seq < ?');
      params.push(query.before);
    }
    const filter = query.filter;
    if (filter !== undefined && !isEmptyFilter(filter)) {
      if (filter.level !== undefined) {
        where.push('level >= ?');
        params.push(levelNumber(filter.level));
      }
      if (filter.sources !== undefined && filter.sources.length > 0) {
        where.push(`source IN (${filter.sources.map(() => '?').join(', ')})`);
        params.push(...filter.sources);
      }
      if (filter.q) {
        where.push('livelog_matches(json, ?)');
        params.push(filter.q.toLowerCase());
      }
    }
    const backward = query.direction === 'backward';
    const sql = `SELECT seq, json FROM entries ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${
      backward ? 'DESC' : 'ASC'
    } LIMIT ?`;
    const rows = this.#statement(sql)
      .raw(true)
      .all(...params, query.limit + 1) as [number, string][];
    const hasMore = rows.length > query.limit;
    const page = rows.slice(0, query.limit).map(([seq, json]) => ({ seq, json }));
    if (backward) page.reverse();
    return { entries: page, hasMore };
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

/**
 * Holds `livelog.lock` in SQLite's exclusive locking mode for the life of the process: a second
 * process on the same directory fails here, and the operating system releases the lock when this
 * process dies, even by kill -9.
 */
function takeLock(dir: string): Database.Database {
  const lock = new Database(join(dir, 'livelog.lock'), { timeout: 1000 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    // Exclusive mode keeps the lock after the first write transaction, until the connection closes.
    lock.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER); DELETE FROM holder;');
    lock.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
    return lock;
  } catch (error) {
    lock.close();
    if (error instanceof Error && /locked|busy/i.test(error.message)) {
      throw new LivelogError('LIVELOG_ERR_STORE_LOCKED', `another process is using ${dir}; stop it or choose another data directory`, {
        cause: error,
      });
    }
    throw error;
  }
}
