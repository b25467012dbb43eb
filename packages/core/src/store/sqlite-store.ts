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
import { createStreamId } from './stream-id.js';

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

interface Row {
  seq: number;
  json: string;
  /** The entry as appended; listeners get only seq and json, and parse when they need more. */
  entry: NewEntry;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (
  seq INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  level INTEGER NOT NULL,
  source TEXT NOT NULL,
  size INTEGER NOT NULL,
  json TEXT NOT NULL
);
DROP INDEX IF EXISTS entries_time;
CREATE TABLE IF NOT EXISTS time_marks (last_seq INTEGER PRIMARY KEY, max_time INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS time_marks_max_time ON time_marks (max_time);
CREATE INDEX IF NOT EXISTS entries_source ON entries (source, seq);
CREATE TABLE IF NOT EXISTS sources (
  name TEXT PRIMARY KEY,
  entries INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  last_time INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS idempotency (
  key TEXT PRIMARY KEY,
  digest TEXT,
  first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  created INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created);
`;

/**
 * The embedded default store: one SQLite file in WAL mode (better-sqlite3).
 *
 * Appends are group-committed: every append issued in one event-loop turn shares one transaction,
 * each batch in its own savepoint so a failing batch takes no other down, and each is acknowledged
 * when the transaction commits. The process holds the database in exclusive locking mode, so a second
 * server on the same directory is refused instead of corrupting the sequence.
 */
export class SqliteStore implements HealthCheckedStore {
  readonly kind = 'sqlite';
  readonly #options: SqliteStoreOptions;
  #db: Database.Database | undefined;
  #streamId = '';
  #lastSeq = 0;
  #bytes = 0;
  /** The greatest entry time appended so far; time marks record it per batch. */
  #maxTime = 0;
  #pending: PendingAppend[] = [];
  #flushScheduled = false;
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
    const db = new Database(this.file, { timeout: 1000 });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${this.#options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('cache_size = -16000');
      // Takes the exclusive lock now, so a second process fails here and not on its first write.
      db.exec('BEGIN IMMEDIATE; COMMIT;');
    } catch (error) {
      db.close();
      if (error instanceof Error && /locked|busy/i.test(error.message)) {
        throw new LivelogError(
          'LIVELOG_ERR_STORE_LOCKED',
          `another process is using ${this.#options.dir}; stop it or choose another data directory`,
          { cause: error },
        );
      }
      throw error;
    }
    db.exec(SCHEMA);
    db.function('livelog_matches', { deterministic: true }, (json: unknown, needle: unknown) =>
      textMatches(JSON.parse(String(json)) as LogEntry, String(needle)) ? 1 : 0,
    );
    this.#db = db;
    const meta = new Map(
      (db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((row) => [row.key, row.value]),
    );
    let streamId = meta.get('stream_id');
    if (streamId === undefined) {
      streamId = createStreamId();
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?), (?, ?)').run('stream_id', streamId, 'schema', '1');
    }
    this.#streamId = streamId;
    const maxSeq = (db.prepare('SELECT MAX(seq) AS seq FROM entries').get() as { seq: number | null }).seq ?? 0;
    this.#lastSeq = Math.max(Number(meta.get('last_seq') ?? 0), maxSeq);
    this.#bytes = (db.prepare('SELECT COALESCE(SUM(size), 0) AS bytes FROM entries').get() as { bytes: number }).bytes;
    const marked = db.prepare('SELECT last_seq, max_time FROM time_marks ORDER BY last_seq DESC LIMIT 1').get() as
      | { last_seq: number; max_time: number }
      | undefined;
    if (maxSeq > (marked?.last_seq ?? 0)) {
      // Entries written before time marks existed: mark each with the running maximum, once.
      db.prepare(
        'INSERT OR REPLACE INTO time_marks (last_seq, max_time) SELECT seq, MAX(time) OVER (ORDER BY seq) FROM entries WHERE seq > ?',
      ).run(marked?.last_seq ?? 0);
    }
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
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Commits every pending append in one transaction, then acknowledges each and tells listeners. */
  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const db = this.#requireDb();
    const startSeq = this.#lastSeq;
    const startBytes = this.#bytes;
    const startMaxTime = this.#maxTime;
    const outcomes: ({ ok: true; result: AppendResult; rows: Row[] } | { ok: false; error: unknown })[] = [];
    try {
      db.transaction(() => {
        for (const item of batch) outcomes.push(this.#appendOne(db, item));
        this.#statement('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('last_seq', String(this.#lastSeq));
      })();
    } catch (error) {
      this.#lastSeq = startSeq;
      this.#bytes = startBytes;
      this.#maxTime = startMaxTime;
      for (const item of batch) item.reject(error);
      return;
    }
    const appended: StoredEntry[] = [];
    outcomes.forEach((outcome, i) => {
      const item = batch[i] as PendingAppend;
      if (outcome.ok) {
        for (const row of outcome.rows) appended.push({ seq: row.seq, json: row.json });
        item.resolve(outcome.result);
      } else {
        item.reject(outcome.error);
      }
    });
    this.#listeners.emit(appended);
  }

  #appendOne(db: Database.Database, item: PendingAppend): { ok: true; result: AppendResult; rows: Row[] } | { ok: false; error: unknown } {
    const key = item.options.idempotencyKey;
    const seqBefore = this.#lastSeq;
    const bytesBefore = this.#bytes;
    const maxTimeBefore = this.#maxTime;
    try {
      if (key !== undefined) {
        const seen = this.#statement('SELECT digest, first_seq, last_seq FROM idempotency WHERE key = ?').get(key) as
          | { digest: string | null; first_seq: number; last_seq: number }
          | undefined;
        if (seen !== undefined) {
          checkSameBody(key, seen.digest ?? undefined, item.options.bodyDigest);
          return { ok: true, result: { firstSeq: seen.first_seq, lastSeq: seen.last_seq, replayed: true }, rows: [] };
        }
      }
      const rows = item.entries.map((entry, i) => {
        const seq = seqBefore + 1 + i;
        return { seq, json: encodeEntry(this.#streamId, seq, entry), entry };
      });
      db.transaction(() => {
        const insert = this.#statement('INSERT INTO entries (seq, time, level, source, size, json) VALUES (?, ?, ?, ?, ?, ?)');
        const perSource = new Map<string, { count: number; lastSeq: number; lastTime: number }>();
        for (const row of rows) {
          insert.run(row.seq, row.entry.time, levelNumber(row.entry.level), row.entry.source, row.json.length, row.json);
          this.#bytes += row.json.length;
          const seen = perSource.get(row.entry.source);
          if (seen === undefined) perSource.set(row.entry.source, { count: 1, lastSeq: row.seq, lastTime: row.entry.time });
          else {
            seen.count++;
            seen.lastSeq = row.seq;
            seen.lastTime = row.entry.time;
          }
        }
        const upsert = this.#statement(
          `INSERT INTO sources (name, entries, last_seq, last_time) VALUES (?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET entries = entries + excluded.entries, last_seq = excluded.last_seq, last_time = excluded.last_time`,
        );
        for (const [name, seen] of perSource) upsert.run(name, seen.count, seen.lastSeq, seen.lastTime);
        if (rows.length > 0) {
          // One mark per batch instead of an index over every entry's time: the running maximum never
          // decreases along seq, so the first mark at or past a time finds the batch to scan for `since`.
          let maxTime = this.#maxTime;
          for (const row of rows) if (row.entry.time > maxTime) maxTime = row.entry.time;
          this.#statement('INSERT OR REPLACE INTO time_marks (last_seq, max_time) VALUES (?, ?)').run(seqBefore + rows.length, maxTime);
          this.#maxTime = maxTime;
        }
        if (key !== undefined) {
          this.#statement('INSERT INTO idempotency (key, digest, first_seq, last_seq, created) VALUES (?, ?, ?, ?, ?)').run(
            key,
            item.options.bodyDigest ?? null,
            seqBefore + 1,
            seqBefore + rows.length,
            Date.now(),
          );
        }
      })();
      this.#lastSeq = seqBefore + rows.length;
      return { ok: true, result: { firstSeq: seqBefore + 1, lastSeq: this.#lastSeq, replayed: false }, rows };
    } catch (error) {
      this.#lastSeq = seqBefore;
      this.#bytes = bytesBefore;
      this.#maxTime = maxTimeBefore;
      return { ok: false, error };
    }
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
    if (this.#closed) return 0;
    const { first, last } = await this.bounds();
    const oldest = this.#statement('SELECT seq, time, size FROM entries WHERE seq >= ? ORDER BY seq LIMIT ?')
      .raw(true)
      .all(first, batchSize) as [number, number, number][];
    const cutoff = policy.maxAgeMs === undefined ? undefined : Date.now() - policy.maxAgeMs;
    let count = last - first + 1;
    let bytes = this.#bytes;
    let upTo = 0;
    for (const [seq, time, size] of oldest) {
      const overCount = policy.maxEntries !== undefined && count > policy.maxEntries;
      const overBytes = policy.maxBytes !== undefined && bytes > policy.maxBytes;
      const tooOld = cutoff !== undefined && time < cutoff;
      if (!overCount && !overBytes && !tooOld) break;
      upTo = seq;
      count--;
      bytes -= size;
    }
    const db = this.#requireDb();
    db.transaction(() => {
      if (upTo > 0) {
        this.#statement('DELETE FROM entries WHERE seq <= ?').run(upTo);
        // Keep the mark of a batch retention cut in two: it still covers the entries after upTo.
        this.#statement('DELETE FROM time_marks WHERE last_seq <= ?').run(upTo);
      }
      this.#statement('DELETE FROM idempotency WHERE created < ?').run(Date.now() - IDEMPOTENCY_TTL_MS);
    })();
    if (upTo === 0) return 0;
    this.#bytes = bytes;
    return upTo - first + 1;
  }

  async isReady(): Promise<boolean> {
    return !this.#closed && this.#db !== undefined;
  }

  onAppend(listener: AppendListener): () => void {
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#flush();
    this.#db?.close();
    this.#db = undefined;
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
