import { join } from 'node:path';
import { RawSqlite } from './raw-sqlite.js';

/** Commits timed by `durableCommitFloor`, after a few that warm the page cache. */
const COMMITS = 300;
const WARMUP = 30;

/** Times of one durable commit, µs, sorted ascending. */
export interface CommitTimes {
  sorted: Float64Array;
  durability: 'normal' | 'full';
}

/**
 * What a durable commit of one latency batch costs with nothing else in the way: raw better-sqlite3
 * inserts `batch` rows of livelog's schema (without the search index, which livelog writes after the
 * commit) in one transaction, paced one every `periodMs` as the latency scenario's sender paces its
 * batches, in this process: no HTTP, no parsing, no thread hand-off. livelog delivers an entry only
 * once its commit returns, so every latency sample is at least the ceiling's path plus this.
 */
export async function durableCommitFloor(
  dir: string,
  durability: 'normal' | 'full',
  batch: number,
  periodMs: number,
): Promise<CommitTimes> {
  const raw = new RawSqlite(join(dir, 'commit-floor'), durability, true, false);
  try {
    const times: number[] = [];
    for (let i = 0; i < WARMUP + COMMITS; i++) {
      const rows = raw.rows(i * batch, batch, Date.now());
      await new Promise((resolve) => setTimeout(resolve, periodMs));
      const seconds = raw.insert([rows]);
      if (i >= WARMUP) times.push(seconds * 1e6);
    }
    return { sorted: Float64Array.from(times).sort(), durability };
  } finally {
    raw.close();
  }
}
