import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointerData, CheckpointReply } from './sqlite-checkpointer.js';

// Runs in the checkpointer thread (see sqlite-checkpointer.ts): its own connection, which only ever
// checkpoints. A PASSIVE checkpoint takes no lock the writer waits for, so the writer's commits go on
// while committed WAL frames are copied into the database file here.
const port = parentPort;
if (port === null) throw new Error('sqlite-checkpointer-worker must run in a worker thread');
const { file, durability } = workerData as CheckpointerData;

const db = new Database(file, { timeout: 5000 });
// The checkpoint's sync of the database file follows the writer's durability.
db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);

port.on('message', (message: { id: number; type: 'checkpoint' | 'close' }) => {
  let reply: CheckpointReply;
  try {
    if (message.type === 'close') {
      db.close();
      reply = { id: message.id, ok: true, log: 0, checkpointed: 0 };
    } else {
      const [row] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
      reply = { id: message.id, ok: true, log: row?.log ?? 0, checkpointed: row?.checkpointed ?? 0 };
    }
  } catch (error) {
    reply = { id: message.id, ok: false, message: (error as Error).message };
  }
  port.postMessage(reply);
});
port.postMessage({ id: 0, ok: true, log: 0, checkpointed: 0 } satisfies CheckpointReply);
