import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { WRITER_AUTOCHECKPOINT_PAGES } from './sqlite-checkpointer.js';
import { DEFAULT_INDEX_DELAY_MS, DeferredIndex } from './sqlite-deferred-index.js';
import { IdleMerge } from './sqlite-idle-merge.js';
import { prepareDatabase, SEQ_BITS, SLICE_WIDTHS } from './sqlite-schema.js';
import { DELETE_INDEX_RANGE, hasSearchIndex, prepareSearchIndex } from './sqlite-search.js';
import type { CommitRequest, DuePolicy, PruneRequest, PurgeRequest, SetRequest, WriterReply, WriterRequest } from './sqlite-writer.js';

// Runs in the SQLite writer thread (see sqlite-writer.ts): the only connection that writes. Rowids
// are composed here in SQL, (key << 43) | seq, so that no rowid above 2^53 ever reaches JavaScript.
const port = parentPort;
if (port === null) throw new Error('sqlite-writer-worker must run in a worker thread');

const ROW = `((? << ${SEQ_BITS}) | ?)`;
/** The rowid range of stream `@key`, seqs `(@from, @to]`. */
const RANGE = `seq > ((@key << ${SEQ_BITS}) | @from) AND seq <= ((@key << ${SEQ_BITS}) | @to)`;
const ALL = 2 ** SEQ_BITS - 1;

/**
 * When a stream is next due for pruning, from its counters: 0 when over a count, byte or key limit,
 * else when the oldest entry gets too old, else NULL. The columns are given as expressions, so that
 * the group commit's stream update can judge the values it is writing in that same statement.
 */
function dueCase(entries: string, bytes: string, keys: string, first: string): string {
  const age = "COALESCE(json_extract(retention, '$.maxAgeMs'), @maxAgeMs)";
  return `CASE
  WHEN ${entries} > COALESCE(json_extract(retention, '$.maxEntries'), @maxEntries)
    OR ${bytes} > COALESCE(json_extract(retention, '$.maxBytes'), @maxBytes)
    OR ${keys} > @maxKeys THEN 0
  WHEN ${first} IS NOT NULL AND ${age} IS NOT NULL THEN ${first} + ${age}
  ELSE NULL END`;
}

/** Sets `prune_due` from the stored counters. */
const DUE = `UPDATE streams SET prune_due = ${dueCase('entries', 'bytes', 'key_count', 'first_received')}`;
/** `first_received` after a group: the group's receive time when it adds the stream's first entries. */
const FIRST_RECEIVED = 'CASE WHEN @entries > 0 THEN COALESCE(first_received, @received) ELSE first_received END';

let db: Database.Database | undefined;
let statements: ReturnType<typeof prepare> | undefined;
/** Merges the search index's segments while no request waits (see IdleMerge); undefined without an index. */
let idleMerge: IdleMerge | undefined;
/** The search index's rows of committed entries, written after their commit (see DeferredIndex); undefined without an index. */
let deferredIndex: DeferredIndex | undefined;

function prepare(connection: Database.Database) {
  const indexed = hasSearchIndex(connection);
  return {
    unindex: indexed ? DELETE_INDEX_RANGE.map((sql) => connection.prepare(sql)) : [],
    insert: connection.prepare(`INSERT INTO entries (seq, time, level, source, size, json, received) VALUES (${ROW}, ?, ?, ?, ?, ?, ?)`),
    source: connection.prepare(
      `INSERT INTO stream_sources (stream, name, entries, last_seq, last_time) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (stream, name) DO UPDATE SET entries = entries + excluded.entries, last_seq = excluded.last_seq, last_time = excluded.last_time`,
    ),
    slice: connection.prepare(
      `INSERT INTO time_slices (stream, width, slice, level, count) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (stream, width, slice, level) DO UPDATE SET count = count + excluded.count`,
    ),
    // Retention takes the removed entries' counts off their slices; slices left at zero go.
    unslice: connection.prepare(
      `INSERT INTO time_slices (stream, width, slice, level, count)
       SELECT @key, w.width, (time / w.width) * w.width, level, -COUNT(*)
       FROM entries, (SELECT ${SLICE_WIDTHS[0]} AS width UNION ALL SELECT ${SLICE_WIDTHS[1]}) AS w
       WHERE ${RANGE} GROUP BY 2, 3, 4
       ON CONFLICT (stream, width, slice, level) DO UPDATE SET count = count + excluded.count`,
    ),
    rangeMaxTime: connection.prepare(`SELECT MAX(time) AS t FROM entries WHERE ${RANGE}`),
    dropEmptySlices: connection.prepare('DELETE FROM time_slices WHERE stream = ? AND slice <= ? AND count <= 0'),
    deleteStreamSlices: connection.prepare('DELETE FROM time_slices WHERE stream = ?'),
    mark: connection.prepare(`INSERT OR REPLACE INTO time_marks (last_seq, max_time) VALUES (${ROW}, ?)`),
    key: connection.prepare('INSERT INTO stream_keys (stream, key, digest, first_seq, last_seq, created) VALUES (?, ?, ?, ?, ?, ?)'),
    create: connection.prepare(
      `INSERT INTO streams (key, name, identity, labels, created, last_activity) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO NOTHING`,
    ),
    // prune_due judged in the same statement, from the values written (SET expressions read the old row).
    stream: connection.prepare(
      `UPDATE streams SET last_seq = @lastSeq, max_time = @maxTime, entries = entries + @entries, bytes = bytes + @bytes,
         key_count = key_count + @keys,
         first_received = ${FIRST_RECEIVED},
         last_received = CASE WHEN @entries > 0 THEN @received ELSE last_received END,
         last_activity = @activity, end_info = COALESCE(@end, end_info),
         prune_due = ${dueCase('entries + @entries', 'bytes + @bytes', 'key_count + @keys', FIRST_RECEIVED)}
       WHERE key = @key`,
    ),
    due: connection.prepare(`${DUE} WHERE key = @key`),
    dueAll: connection.prepare(DUE),
    nextKey: connection.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('next_key', ?)"),
    rangeStats: connection.prepare(`SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM entries WHERE ${RANGE}`),
    deleteRange: connection.prepare(`DELETE FROM entries WHERE ${RANGE}`),
    deleteMarks: connection.prepare(
      `DELETE FROM time_marks WHERE last_seq > ((@key << ${SEQ_BITS}) | @from) AND last_seq <= ((@key << ${SEQ_BITS}) | @to)`,
    ),
    deleteSources: connection.prepare('DELETE FROM stream_sources WHERE stream = ? AND last_seq <= ?'),
    oldestReceived: connection.prepare(
      `SELECT COALESCE(received, time) AS received FROM entries WHERE seq > ((@key << ${SEQ_BITS}) | @from) AND seq <= ((@key << ${SEQ_BITS}) | @to) ORDER BY seq LIMIT 1`,
    ),
    afterPrune: connection.prepare(
      'UPDATE streams SET entries = entries - @n, bytes = bytes - @bytes, first_received = @first, last_received = CASE WHEN @first IS NULL THEN NULL ELSE last_received END WHERE key = @key',
    ),
    keyCount: connection.prepare('SELECT key_count FROM streams WHERE key = ?'),
    trimKeys: connection.prepare(
      'DELETE FROM stream_keys WHERE rowid IN (SELECT rowid FROM stream_keys WHERE stream = ? ORDER BY created LIMIT ?)',
    ),
    lessKeys: connection.prepare('UPDATE streams SET key_count = MAX(0, key_count - ?) WHERE key = ?'),
    expireKeys: connection.prepare(
      'DELETE FROM stream_keys WHERE rowid IN (SELECT rowid FROM stream_keys WHERE created < ? LIMIT ?) RETURNING stream',
    ),
    setLabels: connection.prepare('UPDATE streams SET labels = ? WHERE key = ?'),
    setRetention: connection.prepare('UPDATE streams SET retention = ? WHERE key = ?'),
    deleteStream: connection.prepare('DELETE FROM streams WHERE key = ?'),
    deleteStreamSources: connection.prepare('DELETE FROM stream_sources WHERE stream = ?'),
    deleteStreamKeys: connection.prepare('DELETE FROM stream_keys WHERE stream = ?'),
    remember: connection.prepare('INSERT OR IGNORE INTO deleted_streams (key) VALUES (?)'),
    forget: connection.prepare('DELETE FROM deleted_streams WHERE key = ?'),
    // Aliased `nth`, not `seq`: `ORDER BY seq` would then sort by the expression, reading the whole range.
    nthRow: connection.prepare(
      `SELECT seq & ${ALL} AS nth FROM entries WHERE seq > (@key << ${SEQ_BITS}) AND seq <= ((@key << ${SEQ_BITS}) | ${ALL}) ORDER BY seq LIMIT 1 OFFSET @offset`,
    ),
  };
}

type Statements = ReturnType<typeof prepare>;

function due(s: Statements, key: number, policy: DuePolicy): void {
  s.due.run({ key, ...policy });
}

/** The highest `last_activity` written; undefined until read from the database. */
let topActivity: number | undefined;

/**
 * The `last_activity` of the streams a commit writes: its receive time, or one more than any before
 * when the clock has not moved on. Strictly rising from commit to commit, so that an `order=recent`
 * listing can pin the highest it saw and know that every stream above it was written since (see
 * recent-list.ts). Activity is an ordering key only, never shown, so running ahead of the clock by a
 * millisecond per commit at more than a thousand commits a second does no harm.
 */
function nextActivity(connection: Database.Database, received: number): number {
  topActivity ??= (connection.prepare('SELECT COALESCE(MAX(last_activity), 0) AS top FROM streams').get() as { top: number }).top;
  topActivity = Math.max(received, topActivity + 1);
  return topActivity;
}

function commit(s: Statements, request: CommitRequest): void {
  const { streamKeys, seqs, times, levels, sources, jsons, received } = request;
  const activity = nextActivity(db as Database.Database, received);
  for (const [key, name, identity, labels, created] of request.creates) s.create.run(key, name, identity, labels, created, activity);
  for (let i = 0; i < seqs.length; i++) {
    const json = jsons[i] as string;
    s.insert.run(streamKeys[i], seqs[i], times[i], levels[i], sources[i], json.length, json, received);
  }
  for (const [stream, name, count, lastSeq, lastTime] of request.sourceStats) s.source.run(stream, name, count, lastSeq, lastTime);
  for (const [stream, lastSeq, maxTime] of request.marks) s.mark.run(stream, lastSeq, maxTime);
  for (const [stream, width, slice, level, count] of request.slices) s.slice.run(stream, width, slice, level, count);
  for (const [stream, key, digest, first, last, created] of request.keys) s.key.run(stream, key, digest, first, last, created);
  const policy = request.policy;
  for (const [key, lastSeq, maxTime, entries, bytes, keys, end] of request.streams) {
    s.stream.run({ key, lastSeq, maxTime, entries, bytes, keys, received, activity, end, ...policy });
  }
  s.nextKey.run(String(request.nextKey));
}

/** Deletes the entries of stream `key`, seqs `(from, to]`, and their index rows. */
function deleteEntries(s: Statements, range: { key: number; from: number; to: number }): void {
  for (const statement of s.unindex) statement.run(range);
  s.deleteRange.run(range);
}

function set(s: Statements, request: SetRequest): void {
  s.create.run(
    request.key,
    request.name,
    request.identity,
    request.labels ?? '{}',
    request.created,
    nextActivity(db as Database.Database, request.created),
  );
  if (request.labels !== null) s.setLabels.run(request.labels, request.key);
  if (request.retention[0]) s.setRetention.run(request.retention[1], request.key);
  due(s, request.key, request.policy);
  s.nextKey.run(String(request.nextKey));
}

function prune(s: Statements, request: PruneRequest): void {
  const { key, upTo } = request;
  if (upTo > 0) {
    const range = { key, from: 0, to: upTo };
    const { n, bytes } = s.rangeStats.get(range) as { n: number; bytes: number };
    const { t: maxTime } = s.rangeMaxTime.get(range) as { t: number | null };
    s.unslice.run(range);
    if (maxTime !== null) s.dropEmptySlices.run(key, maxTime);
    deleteEntries(s, range);
    // Keep the mark of a batch retention cut in two: it still covers the entries after upTo.
    s.deleteMarks.run(range);
    // A source none of whose entries is retained goes with them (issue 11.5).
    s.deleteSources.run(key, upTo);
    const first = s.oldestReceived.get({ key, from: upTo, to: ALL }) as { received: number } | undefined;
    s.afterPrune.run({ key, n, bytes, first: first?.received ?? null });
  }
  const row = s.keyCount.get(key) as { key_count: number } | undefined;
  const excess = row === undefined ? 0 : row.key_count - request.policy.maxKeys;
  if (excess > 0) {
    // The oldest keys beyond the count go first, whatever their age (issue 11.6).
    s.trimKeys.run(key, excess);
    s.lessKeys.run(excess, key);
  }
  due(s, key, request.policy);
}

function expireKeys(s: Statements, before: number, limit: number): number {
  const gone = s.expireKeys.all(before, limit) as { stream: number }[];
  const perStream = new Map<number, number>();
  for (const { stream } of gone) perStream.set(stream, (perStream.get(stream) ?? 0) + 1);
  for (const [stream, count] of perStream) s.lessKeys.run(count, stream);
  return gone.length;
}

function purge(s: Statements, request: PurgeRequest): number {
  const { key, limit } = request;
  const row = s.nthRow.get({ key, offset: limit - 1 }) as { nth: number } | undefined;
  if (row !== undefined) {
    deleteEntries(s, { key, from: 0, to: row.nth });
    return 0;
  }
  deleteEntries(s, { key, from: 0, to: ALL });
  s.deleteMarks.run({ key, from: 0, to: ALL });
  s.forget.run(key);
  return 1;
}

function handle(message: WriterRequest): number {
  if (message.type === 'open') {
    db = new Database(message.file, { timeout: 5000 });
    topActivity = undefined;
    prepareDatabase(db, message.durability);
    // The checkpointer thread copies WAL frames to the file off the commit's path (see SqliteCheckpointer).
    db.pragma(`wal_autocheckpoint = ${WRITER_AUTOCHECKPOINT_PAGES}`);
    const connection = db;
    const change = connection.transaction(() => prepareSearchIndex(connection, message.searchIndex))();
    statements = prepare(db);
    const merge = hasSearchIndex(db) ? new IdleMerge(db) : undefined;
    idleMerge = merge;
    deferredIndex =
      merge === undefined ? undefined : new DeferredIndex(db, message.indexDelayMs ?? DEFAULT_INDEX_DELAY_MS, () => merge.answered());
    deferredIndex?.catchUp();
    // 1 tells the database to log the rebuild of an index of the old layout (see sqlite-search).
    return change === 'rebuilt' ? 1 : 0;
  }
  if (message.type === 'close') {
    // A clean stop leaves every entry indexed.
    deferredIndex?.flush();
    deferredIndex?.stop();
    deferredIndex = undefined;
    idleMerge?.busy();
    idleMerge = undefined;
    db?.close();
    db = undefined;
    return 0;
  }
  const connection = db as Database.Database;
  if (message.type === 'synchronous') return connection.pragma('synchronous', { simple: true }) as number;
  if (message.type === 'index') {
    const pending = deferredIndex?.pending ?? 0;
    deferredIndex?.flush();
    return pending;
  }
  const s = statements as Statements;
  // Deletes must find the index rows of what they delete, and the queue stays bounded.
  if (message.type !== 'commit' || deferredIndex?.full) deferredIndex?.flush();
  const value = connection.transaction((): number => {
    switch (message.type) {
      case 'commit':
        commit(s, message);
        return 0;
      case 'set':
        set(s, message);
        return 0;
      case 'prune':
        prune(s, message);
        return 0;
      case 'expire-keys':
        return expireKeys(s, message.before, message.limit);
      case 'policy':
        s.dueAll.run(message.policy);
        return 0;
      case 'delete':
        s.deleteStream.run(message.key);
        s.deleteStreamSources.run(message.key);
        s.deleteStreamKeys.run(message.key);
        s.deleteStreamSlices.run(message.key);
        s.remember.run(message.key);
        return 0;
      case 'purge':
        return purge(s, message);
    }
  })();
  if (message.type === 'commit') deferredIndex?.add(message);
  return value;
}

port.on('message', (message: WriterRequest & { id: number }) => {
  let reply: WriterReply;
  idleMerge?.busy();
  // Index rows written in steps are committed before the request runs (see DeferredIndex#step).
  deferredIndex?.yieldTo();
  try {
    reply = { id: message.id, ok: true, value: handle(message) };
  } catch (error) {
    const failure = error as Error & { code?: unknown };
    reply = { id: message.id, ok: false, message: failure.message, ...(typeof failure.code === 'string' ? { code: failure.code } : {}) };
  }
  port.postMessage(reply);
  // With index rows queued, merging starts after they are written (DeferredIndex calls it then).
  deferredIndex?.answered();
  if (deferredIndex === undefined || deferredIndex.pending === 0) idleMerge?.answered();
});
