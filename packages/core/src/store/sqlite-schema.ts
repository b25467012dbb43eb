import type Database from 'better-sqlite3';
import { createStreamId } from './stream-id.js';

/** Tables of the SQLite store. Entries keep their JSON as stored, so readers never re-encode. */
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
 * Sets the writer connection up: WAL, the durability asked for, the schema, a stream identity for a
 * new database, and time marks for entries written before they existed.
 */
export function prepareDatabase(db: Database.Database, durability: 'normal' | 'full'): void {
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('cache_size = -8000');
  db.exec(SCHEMA);
  const streamId = db.prepare("SELECT value FROM meta WHERE key = 'stream_id'").get() as { value: string } | undefined;
  if (streamId === undefined) {
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?), (?, ?)').run('stream_id', createStreamId(), 'schema', '1');
  }
  const maxSeq = (db.prepare('SELECT MAX(seq) AS seq FROM entries').get() as { seq: number | null }).seq ?? 0;
  const marked = (db.prepare('SELECT MAX(last_seq) AS seq FROM time_marks').get() as { seq: number | null }).seq ?? 0;
  if (maxSeq > marked) {
    // Entries written before time marks existed: mark each with the running maximum, once.
    db.prepare(
      'INSERT OR REPLACE INTO time_marks (last_seq, max_time) SELECT seq, MAX(time) OVER (ORDER BY seq) FROM entries WHERE seq > ?',
    ).run(marked);
  }
}
