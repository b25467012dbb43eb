import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { prepareDatabase } from './sqlite-schema.js';
import type { CommitRequest, PruneRequest, WriterReply, WriterRequest } from './sqlite-writer.js';

// Runs in the SQLite writer thread (see sqlite-writer.ts): the only connection that writes.
const port = parentPort;
if (port === null) throw new Error('sqlite-writer-worker must run in a worker thread');

let db: Database.Database | undefined;
let statements: ReturnType<typeof prepare> | undefined;

function prepare(connection: Database.Database) {
  return {
    insert: connection.prepare('INSERT INTO entries (seq, time, level, source, size, json) VALUES (?, ?, ?, ?, ?, ?)'),
    source: connection.prepare(
      `INSERT INTO sources (name, entries, last_seq, last_time) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET entries = entries + excluded.entries, last_seq = excluded.last_seq, last_time = excluded.last_time`,
    ),
    mark: connection.prepare('INSERT OR REPLACE INTO time_marks (last_seq, max_time) VALUES (?, ?)'),
    key: connection.prepare('INSERT INTO idempotency (key, digest, first_seq, last_seq, created) VALUES (?, ?, ?, ?, ?)'),
    meta: connection.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_seq', ?)"),
    deleteEntries: connection.prepare('DELETE FROM entries WHERE seq <= ?'),
    deleteMarks: connection.prepare('DELETE FROM time_marks WHERE last_seq <= ?'),
    deleteKeys: connection.prepare('DELETE FROM idempotency WHERE created < ?'),
  };
}

function commit(request: CommitRequest): void {
  const s = statements as ReturnType<typeof prepare>;
  (db as Database.Database).transaction(() => {
    const { seqs, times, levels, sources, jsons } = request;
    for (let i = 0; i < seqs.length; i++) {
      const json = jsons[i] as string;
      s.insert.run(seqs[i], times[i], levels[i], sources[i], json.length, json);
    }
    for (const [name, count, lastSeq, lastTime] of request.sourceStats) s.source.run(name, count, lastSeq, lastTime);
    if (request.mark !== null) s.mark.run(request.mark[0], request.mark[1]);
    for (const [key, digest, first, last, created] of request.keys) s.key.run(key, digest, first, last, created);
    s.meta.run(String(request.lastSeq));
  })();
}

function prune(request: PruneRequest): void {
  const s = statements as ReturnType<typeof prepare>;
  (db as Database.Database).transaction(() => {
    if (request.upTo > 0) {
      s.deleteEntries.run(request.upTo);
      // Keep the mark of a batch retention cut in two: it still covers the entries after upTo.
      s.deleteMarks.run(request.upTo);
    }
    s.deleteKeys.run(request.keysBefore);
  })();
}

port.on('message', (message: WriterRequest & { id: number }) => {
  let reply: WriterReply;
  try {
    if (message.type === 'open') {
      db = new Database(message.file, { timeout: 5000 });
      prepareDatabase(db, message.durability);
      statements = prepare(db);
    } else if (message.type === 'commit') commit(message);
    else if (message.type === 'prune') prune(message);
    else {
      db?.close();
      db = undefined;
    }
    reply = { id: message.id, ok: true };
  } catch (error) {
    const failure = error as Error & { code?: unknown };
    reply = { id: message.id, ok: false, message: failure.message, ...(typeof failure.code === 'string' ? { code: failure.code } : {}) };
  }
  port.postMessage(reply);
});
