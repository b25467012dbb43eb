import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { INSERT_INDEX_ROW, INSERT_PIECE, PieceWords, prepareDatabase, prepareSearchIndex, SEARCH_BLOCK, SEQ_BITS } from '@livelog/core';
import { levelNumber } from '@livelog/protocol';
import Database from 'better-sqlite3';
import { record, storedJson } from './entries.js';

/** One row of `entries` as livelog's writer thread binds it. */
type RawRow = [number, number, number, number, string, number, string, number];
/** One row of the search index as livelog's writer binds it: stream key, the piece's last seq, its text. */
type IndexRow = [number, number, string];
/** One transaction's rows: the entries and the index pieces that cover them. */
export interface RawBatch {
  entries: RawRow[];
  pieces: IndexRow[];
}

/** Stream key livelog gives its first stream (`default`): rowids of the same magnitude. */
const STREAM_KEY = 1;

/**
 * The disk's limit for livelog's ingest: the same rows (the stored JSON of the ingest scenario's
 * records) inserted with raw better-sqlite3 into a database made by livelog's own `prepareDatabase`
 * (same schema, indexes and pragmas), one transaction per batch, with the writer thread's INSERT
 * statements. The schema holds the search index (on by default in livelog), so each batch also inserts
 * its index pieces (the entries of one block of `SEARCH_BLOCK` seqs, as the writer makes them, each
 * with its piece map row); their
 * text is built before timing, as the rows' JSON is. No HTTP, no parsing, no encoding, no worker: what
 * is left is SQLite and the disk.
 */
export class RawSqlite {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #index: { piece: Database.Statement; row: Database.Statement } | undefined;
  readonly #dir: string;
  #seq = 0;

  /**
   * `indexes: false` drops the secondary index on entries (to measure what it costs); `searchIndex:
   * false` leaves out the search index, as `--search-index off` does.
   */
  constructor(dir: string, durability: 'normal' | 'full', indexes = true, searchIndex = true) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    this.#dir = dir;
    this.#db = new Database(join(dir, 'livelog.db'));
    prepareDatabase(this.#db, durability);
    if (!indexes) this.#db.exec('DROP INDEX IF EXISTS entries_source');
    const db = this.#db;
    db.transaction(() => prepareSearchIndex(db, searchIndex))();
    this.#index = searchIndex ? { piece: db.prepare(INSERT_PIECE), row: db.prepare(INSERT_INDEX_ROW) } : undefined;
    this.#insert = this.#db.prepare(
      `INSERT INTO entries (seq, time, level, source, size, json, received) VALUES (((? << ${SEQ_BITS}) | ?), ?, ?, ?, ?, ?, ?)`,
    );
  }

  /** One batch of `count` records from `first`, as the ingest scenario's bodies hold them, from the next seq on. */
  rows(first: number, count: number, time: number): RawBatch {
    const entries: RawRow[] = [];
    const pieces: IndexRow[] = [];
    const words = new PieceWords();
    for (let i = 0; i < count; i++) {
      const seq = ++this.#seq;
      const r = record(first + i);
      const json = storedJson('ssssssssss', seq, first + i, time);
      entries.push([STREAM_KEY, seq, time, levelNumber(r.level), r.source, json.length, json, time]);
      if (this.#index === undefined) continue;
      words.add(json);
      if (i === count - 1 || (seq + 1) % SEARCH_BLOCK === 0) pieces.push([STREAM_KEY, seq, words.take()]);
    }
    return { entries, pieces };
  }

  /** Inserts `batches` (each one transaction); resolves to seconds taken. */
  insert(batches: readonly RawBatch[]): number {
    const index = this.#index;
    const insertBatch = this.#db.transaction((batch: RawBatch) => {
      for (const row of batch.entries) this.#insert.run(...row);
      if (index !== undefined) {
        // As the writer: the piece's map row first, whose rowid numbers the index row.
        for (const [key, seq, text] of batch.pieces) index.row.run(index.piece.run(key, seq).lastInsertRowid, text);
      }
    });
    const started = performance.now();
    for (const batch of batches) insertBatch(batch);
    return (performance.now() - started) / 1000;
  }

  close(): void {
    this.#db.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
