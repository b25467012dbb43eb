import type Database from 'better-sqlite3';
import { withoutOwnFsync } from './derived-writes.js';
import { PieceWords } from './search-tokens.js';
import { SEQ_BITS, SEQ_MASK } from './sqlite-schema.js';
import { INDEXED_UP_TO, INSERT_INDEX_ROW, INSERT_PIECE, SEARCH_BLOCK } from './sqlite-search.js';

/** Default longest wait, in ms, of a committed entry for its index rows (see DeferredIndex). */
export const DEFAULT_INDEX_DELAY_MS = 50;
/** Entries waiting for their index rows above which the next commit writes them first. */
const MAX_PENDING = 8192;
/** Rows (at least one commit's) written per step before a waiting request may run (see DeferredIndex#step). */
const STEP_ROWS = 128;
/** SQLite's `synchronous` value for FULL. */
const FULL = 2;
/** Entries read per step when indexing what a stopped process left unindexed. */
const CATCH_UP_ROWS = 4096;

/** The rows of one commit, as the index needs them: stream key, seq and stored JSON of each entry. */
export interface IndexedRows {
  readonly streamKeys: readonly number[];
  readonly seqs: readonly number[];
  readonly jsons: readonly string[];
}

/**
 * The search index's rows, written in a transaction of their own after the commit that stored their
 * entries, in the writer thread.
 *
 * In the commit, indexing was most of its time (in process, 100-entry appends every 10 ms: append →
 * acknowledgement p50 3.9 ms with the index, 2.1 without; p99 12 vs 4.5) and every reader waited for
 * it. Now a commit stores the entries and answers; their index rows follow once the writer has no
 * request left, at most `delayMs` later, several commits to one transaction (bigger index segments,
 * less merging). A search reads the index only up to each stream's last indexed seq and scans the
 * entries after it (see SqliteStream#readWindow), so an acknowledged entry is found at once, as
 * before. Retention and purges write the index first (`flush`), so they delete rows that exist. A
 * process stopped before writing them leaves entries unindexed: `catchUp` indexes them on open.
 */
export class DeferredIndex {
  readonly #db: Database.Database;
  readonly #piece: Database.Statement;
  readonly #row: Database.Statement;
  readonly #words = new PieceWords();
  readonly #delayMs: number;
  #pending: IndexedRows[] = [];
  #count = 0;
  /** True while steps (see #step) hold a transaction open; `#written` are the commits written in it. */
  #open = false;
  #written: IndexedRows[] = [];
  /** The connection commits with FULL outside the steps' transaction (see withoutOwnFsync). */
  #restoreFull = false;
  #timer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Immediate | undefined;
  /** When the oldest queued row was queued (performance.now()). */
  #since = 0;
  /** Called after each flush that wrote rows (the idle merge starts from there). */
  readonly #flushed: () => void;

  constructor(db: Database.Database, delayMs: number, flushed: () => void) {
    this.#db = db;
    this.#piece = db.prepare(INSERT_PIECE);
    this.#row = db.prepare(INSERT_INDEX_ROW);
    this.#delayMs = delayMs;
    this.#flushed = flushed;
  }

  /** Entries committed and not yet indexed. */
  get pending(): number {
    return this.#count;
  }

  /** True when so many entries wait that the next commit should write their rows first. */
  get full(): boolean {
    return this.#count >= MAX_PENDING;
  }

  /** Queues the rows of a commit that has just committed; written within about `delayMs`. */
  add(rows: IndexedRows): void {
    if (rows.seqs.length === 0) return;
    if (this.#count === 0) this.#since = performance.now();
    this.#pending.push(rows);
    this.#count += rows.seqs.length;
    // Should no request come, the rows are written when their time is up.
    if (this.#timer === undefined && this.#soon === undefined) {
      this.#timer = setTimeout(() => this.#step(), this.#delayMs);
      this.#timer.unref();
    }
  }

  /**
   * A request was just answered: rows queued for `delayMs` or more are written now, from the next
   * turn on (after requests that are already waiting). Right after an answer is when the next request
   * is least likely to come (a paced sender has just been answered), so it seldom waits for them.
   */
  answered(): void {
    if (this.#count === 0 || this.#soon !== undefined || performance.now() - this.#since < this.#delayMs) return;
    this.#schedule();
  }

  /**
   * A request arrived: the rows written so far by steps are committed now, so that the request runs
   * after at most one step (its own transaction cannot start inside this one). The rest follow once it
   * is answered (`answered`).
   */
  yieldTo(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#soon !== undefined) clearImmediate(this.#soon);
    this.#timer = undefined;
    this.#soon = undefined;
    if (this.#open) this.#commitSteps();
  }

  /**
   * Writes every queued row in one transaction. On failure the rows stay queued (the next flush, or
   * the next open's catch-up, writes them): searches scan what the index lacks, so nothing is lost.
   */
  flush(): void {
    this.yieldTo();
    if (this.#count === 0) return;
    const commits = this.#pending;
    try {
      withoutOwnFsync(this.#db, () => this.#db.transaction(() => this.#write(commits))());
    } catch {
      this.#words.take();
      return;
    }
    this.#pending = [];
    this.#count = 0;
    this.#flushed();
  }

  #schedule(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#soon ??= setImmediate(() => this.#step());
  }

  /**
   * Writes the rows of the oldest queued commits, about STEP_ROWS of them, in the transaction the
   * steps share, then yields to the event loop: a commit request that came meanwhile is handled
   * before the next step (see `yieldTo`). Writing a flush's rows in one go kept such a request
   * waiting for all of them: in process, paced 100-entry appends under load, 85 of 800 commits
   * arrived during a flush and waited 11 ms at p50 (0.2 ms otherwise). The steps share one
   * transaction until a request cuts it, so the index gets no more segments than before.
   */
  #step(): void {
    this.#soon = undefined;
    this.#timer = undefined;
    if (this.#count === 0) return;
    let rows = 0;
    let commits = 0;
    while (commits < this.#pending.length && rows < STEP_ROWS) rows += (this.#pending[commits++] as IndexedRows).seqs.length;
    const slice = this.#pending.slice(0, commits);
    try {
      if (!this.#open) {
        this.#restoreFull = (this.#db.pragma('synchronous', { simple: true }) as number) === FULL;
        if (this.#restoreFull) this.#db.pragma('synchronous = NORMAL');
        this.#db.exec('BEGIN');
        this.#open = true;
      }
      this.#write(slice);
    } catch {
      this.#words.take();
      this.#rollbackSteps();
      return;
    }
    this.#pending = this.#pending.slice(commits);
    this.#count -= rows;
    this.#written.push(...slice);
    if (this.#count > 0) this.#schedule();
    else this.#commitSteps();
  }

  /** Commits the rows the steps wrote; on failure they are queued again, in front. */
  #commitSteps(): void {
    try {
      this.#db.exec('COMMIT');
    } catch {
      this.#rollbackSteps();
      return;
    }
    this.#endSteps();
    this.#written = [];
    if (this.#count === 0) this.#flushed();
  }

  #rollbackSteps(): void {
    try {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
    } finally {
      this.#endSteps();
      this.#pending = [...this.#written, ...this.#pending];
      this.#count += this.#written.reduce((sum, rows) => sum + rows.seqs.length, 0);
      this.#written = [];
    }
  }

  #endSteps(): void {
    this.#open = false;
    if (this.#restoreFull) this.#db.pragma('synchronous = FULL');
    this.#restoreFull = false;
  }

  /** Drops the queue without writing it: the connection is closing (after a last `flush`). */
  stop(): void {
    this.yieldTo();
    this.#pending = [];
    this.#count = 0;
  }

  /**
   * Indexes the entries after each stream's last indexed seq: what a process stopped between a
   * commit and its index rows left behind. Runs on open, before any request.
   */
  catchUp(): number {
    // Streams deleted but not yet purged too: the purge deletes index rows with their entries.
    const keys = this.#db.prepare('SELECT key FROM streams UNION SELECT key FROM deleted_streams').pluck(true);
    const last = this.#db.prepare(INDEXED_UP_TO).pluck(true);
    const after = this.#db
      .prepare(
        `SELECT seq & ${SEQ_MASK}, json FROM entries WHERE seq > ((? << ${SEQ_BITS}) | ?) AND seq <= ((? << ${SEQ_BITS}) | ${SEQ_MASK}) ORDER BY seq LIMIT ?`,
      )
      .raw(true);
    let indexed = 0;
    for (const key of keys.all() as number[]) {
      let from = (last.get(key, key) as number | null) ?? 0;
      for (;;) {
        const rows = after.all(key, from, key, CATCH_UP_ROWS) as [number, string][];
        if (rows.length === 0) break;
        const seqs = rows.map(([seq]) => seq);
        this.#db.transaction(() => this.#write([{ streamKeys: seqs.map(() => key), seqs, jsons: rows.map(([, json]) => json) }]))();
        indexed += rows.length;
        from = seqs.at(-1) as number;
      }
    }
    return indexed;
  }

  /**
   * One index row per piece: the entries of one stream in one block of SEARCH_BLOCK seqs. Each
   * stream's rows are written together and in seq order, so its pieces' numbers rise with its seqs
   * (the order searches read them in; see sqlite-search).
   */
  #write(commits: readonly IndexedRows[]): void {
    const byStream = new Map<number, { seqs: number[]; jsons: string[] }>();
    for (const { streamKeys, seqs, jsons } of commits) {
      for (let i = 0; i < seqs.length; i++) {
        const key = streamKeys[i] as number;
        let rows = byStream.get(key);
        if (rows === undefined) {
          rows = { seqs: [], jsons: [] };
          byStream.set(key, rows);
        }
        rows.seqs.push(seqs[i] as number);
        rows.jsons.push(jsons[i] as string);
      }
    }
    this.#words.take(); // what a failed write left
    for (const key of [...byStream.keys()].sort((a, b) => a - b)) {
      const { seqs, jsons } = byStream.get(key) as { seqs: number[]; jsons: string[] };
      for (let i = 0; i < seqs.length; i++) {
        const seq = seqs[i] as number;
        this.#words.add(jsons[i] as string);
        const next = seqs[i + 1];
        // Division, not `>>`: seqs exceed 32 bits.
        if (next === undefined || Math.floor(next / SEARCH_BLOCK) !== Math.floor(seq / SEARCH_BLOCK)) {
          // The piece's number is its map row's rowid: one more than any piece kept.
          const { lastInsertRowid } = this.#piece.run(key, seq);
          this.#row.run(lastInsertRowid, this.#words.take());
        }
      }
    }
  }
}
