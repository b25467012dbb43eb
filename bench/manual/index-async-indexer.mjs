// The indexer thread of bench/manual/index-async-proto.mjs (a prototype, not the store's code): reads
// newly committed entries through its own connection to the main file and writes their pieces (16
// seqs per row, as sqlite-search.ts) into an FTS5 table of its own file, with a per-stream
// watermark in the same transaction. Woken by a poke after each acknowledged append; reports its
// watermarks after each transaction.
import { parentPort, workerData } from 'node:worker_threads';
import { searchableParts } from '@livelog/protocol';
import Database from 'better-sqlite3';

const SEQ_BITS = 43;
const SEQ_MASK = 2 ** SEQ_BITS - 1;
const BLOCK = 16;
const ROWS_PER_TRANSACTION = 4096;

const main = new Database(workerData.file, { timeout: 5000 });
main.pragma('query_only = ON');
const index = new Database(workerData.indexFile, { timeout: 5000 });
index.pragma('journal_mode = WAL');
index.pragma('synchronous = NORMAL');
index.pragma('cache_size = -8000');
index.exec(`
CREATE VIRTUAL TABLE IF NOT EXISTS entries_fts USING fts5(
  text, tokenize = 'trigram case_sensitive 0', content = '', contentless_delete = 1, detail = 'none'
);
CREATE TABLE IF NOT EXISTS watermarks (stream INTEGER PRIMARY KEY, seq INTEGER NOT NULL);`);
const insert = index.prepare(`INSERT INTO entries_fts (rowid, text) VALUES (((? << ${SEQ_BITS}) | ?), ?)`);
const mark = index.prepare('INSERT OR REPLACE INTO watermarks (stream, seq) VALUES (?, ?)');
const heads = main.prepare('SELECT key, last_seq FROM streams').raw(true);
const read = main
  .prepare(
    `SELECT seq & ${SEQ_MASK}, json FROM entries WHERE seq > ((? << ${SEQ_BITS}) | ?) AND seq <= ((? << ${SEQ_BITS}) | ?) ORDER BY seq LIMIT ?`,
  )
  .raw(true);
const marks = new Map(index.prepare('SELECT stream, seq FROM watermarks').raw(true).all());
const targets = new Map();
let busy = false;

function indexRows(key, rows) {
  let piece = '';
  for (let i = 0; i < rows.length; i++) {
    const [seq, json] = rows[i];
    const text = searchableParts(JSON.parse(json)).join('\n');
    piece = piece === '' ? text : `${piece}\n${text}`;
    const following = rows[i + 1];
    if (following === undefined || Math.floor(following[0] / BLOCK) !== Math.floor(seq / BLOCK)) {
      insert.run(key, seq, piece);
      piece = '';
    }
  }
  mark.run(key, rows.at(-1)[0]);
}

function catchUp() {
  busy = true;
  for (let progressed = true; progressed; ) {
    progressed = false;
    for (const [key, target] of targets) {
      const from = marks.get(key) ?? 0;
      if (from >= target) continue;
      const rows = read.all(key, from, key, target, ROWS_PER_TRANSACTION);
      if (rows.length === 0) continue;
      index.transaction(indexRows)(key, rows);
      marks.set(key, rows.at(-1)[0]);
      progressed = true;
    }
    parentPort.postMessage({ marks: [...marks] });
  }
  busy = false;
}

parentPort.on('message', (message) => {
  if (message.close) {
    index.close();
    main.close();
    parentPort.close();
    return;
  }
  for (const [key, lastSeq] of heads.all()) targets.set(key, lastSeq);
  if (!busy) setImmediate(catchUp);
});
