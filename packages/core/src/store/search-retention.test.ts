import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseQuery } from '@livelog/protocol';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewEntry } from '../entry/new-entry.js';
import type { BasicLogStore, LogStore } from './log-store.js';
import { MemoryStore } from './memory-store.js';
import { readAllMatches } from './search.contract.js';
import { SqliteDatabase } from './sqlite-database.js';
import { SEQ_BITS } from './sqlite-schema.js';
import { pieceKeys } from './sqlite-search.js';

// Issue 13: retention takes a line's index rows with it. After a prune, no search finds a removed
// line, and the index (read directly: the piece map by entry rowid, and the FTS table, which holds a
// row for every piece of the map and no other) keeps no piece keyed by a removed seq: what is left is
// exactly the pieces (see sqlite-search) of the retained entries, per stream, the piece that
// retention cut in two included; deleting a stream brings it back to 0.
const DAY = 86_400_000;
const NOW = Date.now();
const token = (stream: string, seq: number) => `tok${stream}${String(seq).padStart(5, '0')}q`;
const lines = (stream: string, count: number, time: (i: number) => number): NewEntry[] =>
  Array.from({ length: count }, (_, i) => ({
    time: time(i),
    level: i % 5 === 0 ? 'error' : 'info',
    source: 'svc',
    msg: `${token(stream, i + 1)} common retained-or-not`,
    fields: { n: i + 1, tag: `tag${stream}` },
  }));

/** The index rows of the pieces keyed by one stream's seqs `from..to`: map rows whose FTS row exists. */
function indexRows(file: string, key: number, from: number, to: number): number {
  const db = new Database(file, { readonly: true });
  try {
    return (
      db
        .prepare(
          `SELECT count(*) AS n FROM search_pieces WHERE entry BETWEEN ((? << ${SEQ_BITS}) | ?) AND ((? << ${SEQ_BITS}) | ?)
           AND EXISTS (SELECT 1 FROM entries_fts WHERE rowid = piece)`,
        )
        .get(key, from, key, to) as { n: number }
    ).n;
  } finally {
    db.close();
  }
}

/** The seqs keying the index rows of appends of `sizes` entries, one commit each, within `from..to`. */
function expectedRows(sizes: readonly number[], from: number, to: number): number {
  let first = 1;
  let n = 0;
  for (const size of sizes) {
    n += pieceKeys(first, first + size - 1).filter((key) => key >= from && key <= to).length;
    first += size;
  }
  return n;
}
const A_COMMITS = [700, 700, 700, 700, 200];
const B_COMMITS = [500];

function totals(file: string): { index: number; entries: number } {
  const db = new Database(file, { readonly: true });
  try {
    const index = (db.prepare('SELECT count(*) AS n FROM entries_fts').get() as { n: number }).n;
    const pieces = (db.prepare('SELECT count(*) AS n FROM search_pieces').get() as { n: number }).n;
    // Every FTS row has its map row and the other way round.
    expect(pieces).toBe(index);
    const entries = (db.prepare('SELECT count(*) AS n FROM entries').get() as { n: number }).n;
    return { index, entries };
  } finally {
    db.close();
  }
}

function keyOf(file: string, name: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT key FROM streams WHERE name = ?').get(name) as { key: number }).key;
  } finally {
    db.close();
  }
}

async function pruneAll(store: BasicLogStore, policy: Parameters<BasicLogStore['prune']>[0]): Promise<void> {
  // Small batches: several prune steps, each of which must take its own index rows.
  while ((await store.prune(policy, 97)) > 0);
}

/** A search for the tokens of `seqs`, in ORs of 40 (queries are bounded to 4 KB). */
async function foundAny(store: BasicLogStore, stream: string, seqs: number[]): Promise<number[]> {
  const found: number[] = [];
  for (let i = 0; i < seqs.length; i += 40) {
    const q = seqs
      .slice(i, i + 40)
      .map((seq) => token(stream, seq))
      .join(' OR ');
    found.push(...(await readAllMatches(store, parseQuery(q), 'forward', 1000)));
  }
  return found;
}

describe('search after retention: SQLite, the index rows go with their lines', () => {
  let dir: string;
  let database: SqliteDatabase;
  let a: LogStore;
  let b: LogStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'livelog-search-retention-'));
    database = new SqliteDatabase({ dir });
    await database.open();
    expect(totals(database.file)).toEqual({ index: 0, entries: 0 });
    a = await database.openStream('a');
    b = await database.openStream('b');
    // In several batches, so that a prune step cuts through a commit's rows.
    const aLines = lines('a', 3000, (i) => NOW - DAY + i);
    // Index rows written after each commit, so that they are keyed as expectedRows counts them.
    for (let i = 0; i < aLines.length; i += 700) {
      await a.append(aLines.slice(i, i + 700));
      await database.writeSearchIndex();
    }
    await b.append(lines('b', 500, (i) => NOW - 3 * DAY + i));
    await database.writeSearchIndex();
  });
  afterEach(async () => {
    await database.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('by count: no removed line is found, and the FTS table holds no row for a removed seq', async () => {
    const file = database.file;
    const keyA = keyOf(file, 'a');
    const keyB = keyOf(file, 'b');
    expect(indexRows(file, keyA, 1, 3000)).toBe(expectedRows(A_COMMITS, 1, 3000));
    await pruneAll(a, { maxEntries: 1000 });
    expect(await a.bounds()).toEqual({ first: 2001, last: 3000 });
    expect(indexRows(file, keyA, 1, 2000)).toBe(0);
    expect(indexRows(file, keyA, 2001, 3000)).toBe(expectedRows(A_COMMITS, 2001, 3000));
    expect(indexRows(file, keyB, 1, 500), 'the other stream keeps its rows').toBe(expectedRows(B_COMMITS, 1, 500));
    expect(totals(file)).toEqual({ index: expectedRows(A_COMMITS, 2001, 3000) + expectedRows(B_COMMITS, 1, 500), entries: 1500 });
    const removed = Array.from({ length: 2000 }, (_, i) => i + 1);
    expect(await foundAny(a, 'a', removed)).toEqual([]);
    expect(await readAllMatches(a, parseQuery('common'), 'backward', 333)).toEqual(Array.from({ length: 1000 }, (_, i) => 2001 + i));
    expect(await readAllMatches(a, parseQuery('n:<=2000'), 'forward', 1000)).toEqual([]);
    expect(await readAllMatches(a, parseQuery(`${token('a', 2000)} OR ${token('a', 2001)}`), 'forward', 10)).toEqual([2001]);
  });

  it('by size, then a deleted stream: the index returns to its baseline of 0', async () => {
    // Age is judged on the arrival time, not the entry's (a test cannot age lines without a clock);
    // it removes through the same writer step as count and size do.
    const file = database.file;
    const keyA = keyOf(file, 'a');
    const keyB = keyOf(file, 'b');
    await pruneAll(a, { maxEntries: 1200 });
    expect(await a.bounds()).toEqual({ first: 1801, last: 3000 });
    expect(await foundAny(a, 'a', [1, 2, 900, 1799, 1800])).toEqual([]);
    const { first } = await a.bounds();
    await pruneAll(a, { maxBytes: 20_000 });
    const after = await a.bounds();
    expect(after.first).toBeGreaterThan(first);
    expect(indexRows(file, keyA, 1, after.first - 1)).toBe(0);
    expect(indexRows(file, keyA, after.first, 3000)).toBe(expectedRows(A_COMMITS, after.first, 3000));
    expect(await readAllMatches(a, parseQuery('common'), 'forward', 1000)).toEqual(
      Array.from({ length: 3001 - after.first }, (_, i) => after.first + i),
    );
    expect(await database.delete('b')).toBe(true);
    // The purge of a deleted stream runs in the background, in batches.
    const deadline = Date.now() + 20_000;
    while (indexRows(file, keyB, 1, 500) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(indexRows(file, keyB, 1, 500)).toBe(0);
    await pruneAll(a, { maxEntries: 0 });
    expect(indexRows(file, keyA, 1, 3000)).toBe(0);
    expect(totals(file)).toEqual({ index: 0, entries: 0 });
    expect(await readAllMatches(a, parseQuery('common OR taga OR n:>0'), 'forward', 1000)).toEqual([]);
  });
});

describe('search after retention: memory store', () => {
  it('finds none of the removed lines', async () => {
    const store = new MemoryStore();
    await store.open();
    try {
      await store.append(lines('m', 1200, () => NOW));
      await pruneAll(store, { maxEntries: 200 });
      expect(
        await foundAny(
          store,
          'm',
          Array.from({ length: 1000 }, (_, i) => i + 1),
        ),
      ).toEqual([]);
      expect(await readAllMatches(store, parseQuery('common'), 'forward', 77)).toEqual(Array.from({ length: 200 }, (_, i) => 1001 + i));
    } finally {
      await store.close();
    }
  });
});
