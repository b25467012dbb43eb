import { type NewEntry, SqliteStore } from '@livelog/core';
import Database from 'better-sqlite3';
import { newEntry } from './entries.js';

// The search scenario's corpus (issue 13): the access log of every scenario with known rare and
// common words, preloaded in process, and the store's sizes read back.

/** Words found nowhere else in the corpus (none of their trigrams is), each in 1 line of 100,000. */
export const RARE_WORDS = ['quokka', 'axolotl', 'pangolin', 'narwhal', 'wombat'];
const RARE_EVERY = 100_000;
/** `msg` paths of entries.ts: each in 1 line of 6. */
export const COMMON_WORDS = ['orders', 'items', 'cart', 'healthz'];
const COMMON_EVERY = 6;
const COMMON_OFFSETS: Record<string, number> = { orders: 0, items: 1, cart: 3, healthz: 4 };
/** The entries' times spread evenly over the last three days, so "the last hour" holds 1/72 of them. */
const SPAN_MS = 3 * 86_400_000;
const PRELOAD_BATCH = 20_000;

/** Record `i` of the search corpus: the access log of every scenario, a rare word in 1 line of 100,000. */
export function searchEntry(i: number, time: number): NewEntry {
  const entry = newEntry(i, time);
  const rare = RARE_WORDS[rareIndex(i)];
  return rare === undefined ? entry : { ...entry, msg: `${entry.msg} ${rare} spotted` };
}

/** Which rare word line `i` carries, if any: word k at offset 10,007 × (k + 1) of every 100,000. */
function rareIndex(i: number): number {
  const offset = i % RARE_EVERY;
  return offset % 10_007 === 0 && offset > 0 ? offset / 10_007 - 1 : -1;
}

/** Seqs of the newest page of a word, newest first (seq = i + 1). */
export function expectedRare(word: string, entries: number, page: number): number[] {
  const k = RARE_WORDS.indexOf(word);
  const out: number[] = [];
  for (let base = Math.floor(entries / RARE_EVERY) * RARE_EVERY; base >= 0 && out.length < page; base -= RARE_EVERY) {
    const i = base + 10_007 * (k + 1);
    if (i < entries) out.push(i + 1);
  }
  return out;
}

/** Seqs of the newest page of a common word, newest first. */
export function expectedCommon(word: string, entries: number, page: number): number[] {
  const offset = COMMON_OFFSETS[word] as number;
  const out: number[] = [];
  for (let i = entries - 1; i >= 0 && out.length < page; i--) if (i % COMMON_EVERY === offset) out.push(i + 1);
  return out;
}

export async function preloadStore(dir: string, entries: number, now: number): Promise<number> {
  const started = performance.now();
  const store = new SqliteStore({ dir });
  await store.open();
  try {
    for (let first = 0; first < entries; first += PRELOAD_BATCH) {
      const batch: NewEntry[] = [];
      for (let i = first; i < Math.min(entries, first + PRELOAD_BATCH); i++)
        batch.push(searchEntry(i, now - SPAN_MS + Math.floor((i * SPAN_MS) / entries)));
      await store.append(batch);
      if ((first + PRELOAD_BATCH) % 1_000_000 === 0) process.stderr.write(` ${(first + PRELOAD_BATCH) / 1_000_000}M`);
    }
  } finally {
    await store.close();
  }
  return (performance.now() - started) / 1000;
}

export function dropIndex(file: string): void {
  const db = new Database(file);
  try {
    db.exec('DROP TRIGGER IF EXISTS entries_fts_delete; DROP TABLE IF EXISTS entries_fts; DROP TABLE IF EXISTS search_pieces;');
  } finally {
    db.close();
  }
}

/** Bytes of the FTS5 tables, of `entries` with its indexes, of the file, and of the stored JSON (dbstat). */
export function storeSizes(file: string): { index: number; table: number; file: number; json: number } {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name').all() as { name: string; bytes: number }[];
    const tableIndexes = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries'").all() as { name: string }[]).map(
        (row) => row.name,
      ),
    );
    let index = 0;
    let table = 0;
    let total = 0;
    for (const row of rows) {
      total += row.bytes;
      if (row.name.startsWith('entries_fts') || row.name.startsWith('search_pieces')) index += row.bytes;
      else if (row.name === 'entries' || tableIndexes.has(row.name)) table += row.bytes;
    }
    const json = (db.prepare('SELECT SUM(size) AS bytes FROM entries').get() as { bytes: number }).bytes;
    return { index, table, file: total, json };
  } finally {
    db.close();
  }
}
