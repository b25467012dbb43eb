import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NewEntry, SqliteDatabase } from '@livelog/core';
import Database from 'better-sqlite3';
import { newEntry } from './entries.js';

/**
 * `node [--cpu-prof] bench/dist/writer-driver.js MODE APPENDERS BATCH TOTAL`: the SQLite store's
 * group commit in process, without HTTP, so that `--cpu-prof` writes a profile of the writer thread
 * too (one file per thread; the bench's LIVELOG_BENCH_CPU_PROF covers the server's main thread only).
 * APPENDERS append BATCH entries at a time, each waiting for its previous append, until TOTAL:
 * - `one`: into the stream `default`;
 * - `streams`: each batch into a new stream (created by that write), as scenario 7's streams rounds;
 * - `spread`: each batch into one of LIVELOG_DRIVER_STREAMS (1,000) streams, at random.
 * Prints the rate, the process's CPU per entry (every thread) and the entries per group commit.
 * LIVELOG_DRIVER_SEARCH_INDEX=off runs without the search index. Durability: the default (`full`).
 * Also prints the search index's bytes at the end (`indexBytes`: its FTS5 tables and the piece map, dbstat).
 */
const [mode = 'streams', appendersArg = '32', batchArg = '100', totalArg = '200000'] = process.argv.slice(2);
if (mode !== 'one' && mode !== 'streams' && mode !== 'spread') throw new Error(`unknown mode ${mode}: one, streams or spread`);
const appenders = Number(appendersArg);
const batch = Number(batchArg);
const total = Number(totalArg);
const spread = Number(process.env.LIVELOG_DRIVER_STREAMS ?? 1000);

const dir = await mkdtemp(join(tmpdir(), 'livelog-writer-driver-'));
const database = new SqliteDatabase({ dir, searchIndex: process.env.LIVELOG_DRIVER_SEARCH_INDEX !== 'off' });
await database.open();
const batches = Array.from({ length: 16 }, (_, b) => Array.from({ length: batch }, (_, i) => newEntry(b * batch + i, Date.now())));
let created = 0;

function streamName(prefix: string): string {
  if (mode === 'one') return 'default';
  if (mode === 'spread') return `spread-${Math.floor(Math.random() * spread)}`;
  return `${prefix}-${created++}`;
}

async function run(count: number, prefix: string): Promise<void> {
  let next = 0;
  const appender = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const store = await database.openStream(streamName(prefix));
      const now = Date.now();
      await store.append((batches[i % batches.length] as NewEntry[]).map((entry) => ({ ...entry, time: now })));
    }
  };
  await Promise.all(Array.from({ length: appenders }, appender));
}

/** Bytes of the search index's tables and indexes (names starting `entries_fts` or `search_pieces`). */
function indexBytes(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    const row = db
      .prepare("SELECT SUM(pgsize) AS bytes FROM dbstat WHERE name LIKE 'entries_fts%' OR name LIKE 'search_pieces%'")
      .get() as { bytes: number | null };
    return row.bytes ?? 0;
  } finally {
    db.close();
  }
}

try {
  await run(Math.ceil(20_000 / batch), 'warmup');
  const commits = database.stats.commits;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await run(Math.round(total / batch), 'driver');
  // Index rows follow their commits (DeferredIndex): the clock includes writing the last of them.
  await database.writeSearchIndex();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const cpuUs = used.user + used.system;
  const groups = database.stats.commits - commits;
  console.log(
    JSON.stringify({
      mode,
      appenders,
      batch,
      total,
      rate: Math.round(total / seconds),
      cpuUsPerEntry: Number((cpuUs / total).toFixed(1)),
      cores: Number((cpuUs / 1e6 / seconds).toFixed(2)),
      entriesPerCommit: Math.round(total / groups),
      indexBytes: indexBytes(database.file),
    }),
  );
} finally {
  await database.close();
  await rm(dir, { recursive: true, force: true });
}
