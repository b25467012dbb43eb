import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { prepareDatabase, SEQ_BITS } from '@livelog/core';
import { levelNumber } from '@livelog/protocol';
import Database from 'better-sqlite3';
import { record, storedJson } from './entries.js';

/** One row of `entries` as livelog's writer thread binds it. */
type RawRow = [number, number, number, number, string, number, string, number];

/** Stream key livelog gives its first stream (`default`): rowids of the same magnitude. */
const STREAM_KEY = 1;

/**
 * The disk's limit for livelog's ingest: the same rows (the stored JSON of the ingest scenario's
 * records) inserted with raw better-sqlite3 into a database made by livelog's own `prepareDatabase`
 * (same schema, indexes and pragmas), one transaction per batch, with the writer thread's INSERT
 * statement. No HTTP, no parsing, no encoding, no worker: what is left is SQLite and the disk.
 */
export class RawSqlite {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #dir: string;
  #seq = 0;

  /** `indexes: false` drops the secondary index on entries (to measure what it costs). */
  constructor(dir: string, durability: 'normal' | 'full', indexes = true) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    this.#dir = dir;
    this.#db = new Database(join(dir, 'livelog.db'));
    prepareDatabase(this.#db, durability);
    if (!indexes) this.#db.exec('DROP INDEX IF EXISTS entries_source');
    this.#insert = this.#db.prepare(
      `INSERT INTO entries (seq, time, level, source, size, json, received) VALUES (((? << ${SEQ_BITS}) | ?), ?, ?, ?, ?, ?, ?)`,
    );
  }

  /** Rows of `count` records from `first`, as the ingest scenario's bodies hold them, from the next seq on. */
  rows(first: number, count: number, time: number): RawRow[] {
    const rows: RawRow[] = [];
    for (let i = 0; i < count; i++) {
      const seq = ++this.#seq;
      const r = record(first + i);
      const json = storedJson('ssssssssss', seq, first + i, time);
      rows.push([STREAM_KEY, seq, time, levelNumber(r.level), r.source, json.length, json, time]);
    }
    return rows;
  }

  /** Inserts `batches` (each one transaction); resolves to seconds taken. */
  insert(batches: readonly RawRow[][]): number {
    const insertBatch = this.#db.transaction((rows: readonly RawRow[]) => {
      for (const row of rows) this.#insert.run(...row);
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
