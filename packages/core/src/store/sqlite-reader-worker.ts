import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { LivelogError } from '../errors.js';
import { FrameStatements } from './sqlite-frames.js';
import type { ReaderReply, ReaderRequest, WireFrames } from './sqlite-reader.js';

// Runs in the SQLite reader thread (see sqlite-reader.ts): a connection that only reads frame pages.
const port = parentPort;
if (port === null) throw new Error('sqlite-reader-worker must run in a worker thread');

let db: Database.Database | undefined;
let statements: FrameStatements | undefined;

/**
 * `view` as memory of its own, whole, so that it can be transferred: better-sqlite3's blobs are; anything
 * else is copied (a Buffer of Node's pool shares its memory, and transferring it would take the pool).
 */
function own(view: Uint8Array): Uint8Array {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? view : new Uint8Array(view);
}

function handle(message: ReaderRequest & { id: number }): { reply: ReaderReply; transfer: ArrayBuffer[] } {
  const id = message.id;
  switch (message.type) {
    case 'open': {
      db = new Database(message.file, { timeout: 5000 });
      db.pragma('cache_size = -16000');
      db.pragma('query_only = ON');
      if (message.reverseScans === true) db.pragma('reverse_unordered_selects = ON');
      statements = new FrameStatements(db);
      return { reply: { id, ok: true }, transfer: [] };
    }
    case 'frames': {
      if (statements === undefined) throw new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the SQLite store is closed');
      const read = statements.read(message.key, message.after, message.limit, message.prefix);
      if (read === undefined) return { reply: { id, ok: true }, transfer: [] };
      const frames = own(read.frames);
      const page: WireFrames = { firstSeq: read.firstSeq, lastSeq: read.lastSeq, count: read.count, frames, offsets: read.offsets };
      return { reply: { id, ok: true, page }, transfer: [frames.buffer as ArrayBuffer, read.offsets.buffer as ArrayBuffer] };
    }
    case 'stats':
      return { reply: { id, ok: true, resorted: statements?.resorted ?? 0 }, transfer: [] };
    case 'close':
      db?.close();
      db = undefined;
      statements = undefined;
      return { reply: { id, ok: true }, transfer: [] };
  }
}

port.on('message', (message: ReaderRequest & { id: number }) => {
  let answer: { reply: ReaderReply; transfer: ArrayBuffer[] };
  try {
    answer = handle(message);
  } catch (error) {
    const failure = error as Error & { code?: unknown };
    const reply: ReaderReply = {
      id: message.id,
      ok: false,
      message: failure.message,
      ...(typeof failure.code === 'string' ? { code: failure.code } : {}),
    };
    answer = { reply, transfer: [] };
  }
  port.postMessage(answer.reply, answer.transfer);
});
