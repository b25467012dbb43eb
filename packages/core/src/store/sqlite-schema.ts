import type Database from 'better-sqlite3';
import { createStreamId } from './stream-id.js';

/**
 * Bits of an entry's rowid that hold its seq: rowid = (stream key << 43) | seq. A v1 database (one
 * stream, rowid = seq) is thereby stream key 0 without rewriting a row. 2^43 seqs per stream (8.8e12)
 * and 2^20 stream keys fit a 64-bit rowid; JavaScript never sees a rowid: SQL composes and splits them.
 */
export const SEQ_BITS = 43;
/** `seq & SEQ_MASK` in SQL: the seq of a rowid. */
export const SEQ_MASK = 2 ** SEQ_BITS - 1;

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
-- entries_source costs ~0.7 µs of the writer's CPU per row, but without it a source filter reads
-- every row of each bounded window: a rare source over a million-line stream then takes many
-- budgeted pages (empty pages with hasMore) where the index answers in one.
CREATE INDEX IF NOT EXISTS entries_source ON entries (source, seq);
`;

/**
 * Schema 2: streams. `entries.seq` and `time_marks.last_seq` hold rowids (key << 43 | seq); sources and
 * idempotency keys carry the stream key; `streams` holds each stream's identity, labels, retention,
 * end and counters. `prune_due` is when a stream may next exceed its retention (0: now; NULL: not
 * until written): the pruner reads only due streams through its index, never every stream.
 */
const SCHEMA_2 = `
CREATE TABLE IF NOT EXISTS streams (
  key INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  identity TEXT NOT NULL,
  labels TEXT NOT NULL DEFAULT '{}',
  retention TEXT,
  created INTEGER NOT NULL,
  end_info TEXT,
  last_seq INTEGER NOT NULL DEFAULT 0,
  max_time INTEGER NOT NULL DEFAULT 0,
  entries INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  first_received INTEGER,
  last_received INTEGER,
  last_activity INTEGER NOT NULL,
  key_count INTEGER NOT NULL DEFAULT 0,
  prune_due INTEGER
);
CREATE INDEX IF NOT EXISTS streams_prune_due ON streams (prune_due) WHERE prune_due IS NOT NULL;
CREATE INDEX IF NOT EXISTS streams_recent ON streams (last_activity DESC, name);
CREATE TABLE IF NOT EXISTS stream_sources (
  stream INTEGER NOT NULL,
  name TEXT NOT NULL,
  entries INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  last_time INTEGER NOT NULL,
  PRIMARY KEY (stream, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stream_sources_last_seq ON stream_sources (stream, last_seq);
CREATE TABLE IF NOT EXISTS stream_keys (
  stream INTEGER NOT NULL,
  key TEXT NOT NULL,
  digest TEXT,
  first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  created INTEGER NOT NULL,
  PRIMARY KEY (stream, key)
);
CREATE INDEX IF NOT EXISTS stream_keys_created ON stream_keys (created);
CREATE INDEX IF NOT EXISTS stream_keys_stream_created ON stream_keys (stream, created);
CREATE TABLE IF NOT EXISTS deleted_streams (key INTEGER PRIMARY KEY);
`;

/** Widths of the histogram's summary slices, in ms: seconds for short ranges, minutes for long ones. */
export const SLICE_WIDTHS = [1000, 60_000] as const;

/**
 * Issue 13: time navigation. `time_slices` counts entries per stream, slice of time and level, kept in
 * the group commit with the entries and trimmed with them, so an unfiltered histogram sums a few
 * thousand rows instead of reading entries. `time_marks_stream_time` finds the first batch of a
 * stream reaching a time in one index seek (marks hold the running maximum of time, so within a
 * stream they rise with seq).
 */
const SCHEMA_TIME = `
CREATE TABLE IF NOT EXISTS time_slices (
  stream INTEGER NOT NULL,
  width INTEGER NOT NULL,
  slice INTEGER NOT NULL,
  level INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (stream, width, slice, level)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS time_marks_stream_time ON time_marks ((last_seq >> ${SEQ_BITS}), max_time, last_seq);
`;

/**
 * Sets the writer connection up: WAL, the durability asked for, the schema, a stream identity for a
 * new database, time marks for entries written before they existed, and the upgrade of a
 * single-stream (schema 1) database to streams, where its stream becomes `default`, key 0.
 */
export function prepareDatabase(db: Database.Database, durability: 'normal' | 'full'): void {
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('cache_size = -8000');
  db.transaction(() => {
    db.exec(SCHEMA);
    const schema = (db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined)?.value;
    if (schema === undefined) {
      // A new file: streams from the start, and no stream until one is written (or the engine makes `default`).
      db.exec(SCHEMA_2);
      db.exec('ALTER TABLE entries ADD COLUMN received INTEGER');
      db.prepare("INSERT INTO meta (key, value) VALUES ('schema', '2'), ('next_key', '1')").run();
    } else if (schema === '1') {
      upgradeToStreams(db);
    }
    prepareTimeNavigation(db);
  })();
}

/** Creates the summary slices and the time index; a database from before them is summarized once, here. */
function prepareTimeNavigation(db: Database.Database): void {
  db.exec(SCHEMA_TIME);
  if (db.prepare("SELECT 1 FROM meta WHERE key = 'time_slices'").get() !== undefined) return;
  // One pass over the existing entries, on the first open by a version that keeps slices.
  for (const width of SLICE_WIDTHS) {
    db.prepare(
      `INSERT INTO time_slices (stream, width, slice, level, count)
       SELECT seq >> ${SEQ_BITS}, ?, (time / ?) * ?, level, COUNT(*) FROM entries
       WHERE (seq >> ${SEQ_BITS}) NOT IN (SELECT key FROM deleted_streams) GROUP BY 1, 3, 4`,
    ).run(width, width, width);
  }
  db.prepare("INSERT INTO meta (key, value) VALUES ('time_slices', '1')").run();
}

/** Schema 1 → 2, in the caller's transaction: the one stream becomes `default` (key 0); no entry is rewritten. */
function upgradeToStreams(db: Database.Database): void {
  const maxSeq = (db.prepare('SELECT MAX(seq) AS seq FROM entries').get() as { seq: number | null }).seq ?? 0;
  const marked = (db.prepare('SELECT MAX(last_seq) AS seq FROM time_marks').get() as { seq: number | null }).seq ?? 0;
  if (maxSeq > marked) {
    // Entries written before time marks existed: mark each with the running maximum, once.
    db.prepare(
      'INSERT OR REPLACE INTO time_marks (last_seq, max_time) SELECT seq, MAX(time) OVER (ORDER BY seq) FROM entries WHERE seq > ?',
    ).run(marked);
  }
  db.exec(SCHEMA_2);
  const columns = db.prepare('PRAGMA table_info(entries)').all() as { name: string }[];
  // Receive time, which age retention judges by. Entries of schema 1 have none: their time stands in.
  if (!columns.some((column) => column.name === 'received')) db.exec('ALTER TABLE entries ADD COLUMN received INTEGER');
  const meta = new Map(
    (db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((row) => [row.key, row.value]),
  );
  const stats = db
    .prepare('SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes, MIN(time) AS first, MAX(time) AS last FROM entries')
    .get() as {
    n: number;
    bytes: number;
    first: number | null;
    last: number | null;
  };
  const maxTime = (db.prepare('SELECT MAX(max_time) AS t FROM time_marks').get() as { t: number | null }).t ?? 0;
  const now = Date.now();
  db.prepare(
    `INSERT INTO streams (key, name, identity, created, last_seq, max_time, entries, bytes, first_received, last_received, last_activity, prune_due)
     VALUES (0, 'default', ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
  ).run(
    meta.get('stream_id') ?? createStreamId(),
    stats.first ?? now,
    Math.max(Number(meta.get('last_seq') ?? 0), maxSeq),
    maxTime,
    stats.n,
    stats.bytes,
    stats.first,
    stats.last,
    stats.last ?? now,
  );
  const tables = new Set(
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((row) => row.name),
  );
  if (tables.has('sources')) {
    db.exec(
      'INSERT INTO stream_sources (stream, name, entries, last_seq, last_time) SELECT 0, name, entries, last_seq, last_time FROM sources',
    );
    db.exec('DROP TABLE sources');
  }
  if (tables.has('idempotency')) {
    db.exec(
      'INSERT INTO stream_keys (stream, key, digest, first_seq, last_seq, created) SELECT 0, key, digest, first_seq, last_seq, created FROM idempotency',
    );
    db.exec('DROP TABLE idempotency');
    db.exec('UPDATE streams SET key_count = (SELECT COUNT(*) FROM stream_keys WHERE stream = 0) WHERE key = 0');
  }
  db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', '2'), ('next_key', '1')").run();
  db.prepare("DELETE FROM meta WHERE key = 'last_seq'").run();
}
