import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LevelName, LogEntry } from '@livelog/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryFilter } from '../entry/entry-filter.js';
import type { NewEntry } from '../entry/new-entry.js';
import { bruteHistogram, plainHistogram } from './histogram-oracle.js';
import type { LogStore } from './log-store.js';
import { MemoryStore } from './memory-store.js';
import { SqliteDatabase } from './sqlite-database.js';
import { hasHistogram, readAround, scanHistogram, seekTime } from './time-navigation.js';

// The SQLite store's summary and entry counts, and the scan every other store uses, against each
// other and against a brute-force count over the same random entries.
const LEVELS: LevelName[] = ['debug', 'info', 'warn', 'error'];
let seed = 42;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const T0 = Date.UTC(2026, 11, 1);
const entries: NewEntry[] = [];
let time = T0;
for (let i = 0; i < 3000; i++) {
  time += Math.floor(random() * 4000);
  entries.push({ time, level: LEVELS[Math.floor(random() * 4)] as LevelName, source: random() < 0.25 ? 'db' : 'api', msg: `e${i}` });
}

let dir: string;
let database: SqliteDatabase;
let sqlite: LogStore;
const memory = new MemoryStore();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'livelog-time-nav-'));
  database = new SqliteDatabase({ dir });
  await database.open();
  sqlite = await database.openStream('nav');
  await memory.open();
  for (let i = 0; i < entries.length; i += 250) {
    await sqlite.append(entries.slice(i, i + 250));
    await memory.append(entries.slice(i, i + 250));
  }
});
afterAll(async () => {
  await database.close();
  await rm(dir, { recursive: true, force: true });
});

describe('time navigation across stores', () => {
  it('counts histograms alike: SQLite slices, SQLite entries, the generic scan, and brute force', async () => {
    if (!hasHistogram(sqlite)) throw new Error('the SQLite stream should count histograms itself');
    const last = (entries[entries.length - 1] as NewEntry).time;
    for (let round = 0; round < 60; round++) {
      const bucketMs = [1000, 5000, 60_000, 300_000, 750][Math.floor(random() * 5)] as number;
      const since = Math.floor((T0 - 30_000 + random() * (last - T0)) / bucketMs) * bucketMs;
      const until = since + bucketMs * (1 + Math.floor(random() * 80));
      const filter: EntryFilter = [{}, { level: 'warn' as LevelName }, { sources: ['db'] }][round % 3] as EntryFilter;
      const query = { since, until, bucketMs, filter, maxMs: 60_000 };
      const expected = bruteHistogram(entries, since, until, bucketMs, filter);
      const label = `${round}: ${since}+${until - since} / ${bucketMs} ${JSON.stringify(filter)}`;
      expect(plainHistogram(await sqlite.histogram(query), true), label).toEqual(expected);
      expect(plainHistogram(await scanHistogram(sqlite, query), true), label).toEqual(expected);
      expect(plainHistogram(await scanHistogram(memory, query), true), label).toEqual(expected);
    }
  });

  it('stops a filtered count at its budget with partial', async () => {
    const result = await scanHistogram(memory, { since: T0, until: T0 + 1e9, bucketMs: 60_000, filter: { sources: ['db'] }, maxMs: 0 });
    expect(result.partial).toBe(true);
  });

  it('seeks and reads context the same way on both stores', async () => {
    for (let round = 0; round < 50; round++) {
      const t = T0 - 1000 + Math.floor(random() * ((entries[entries.length - 1] as NewEntry).time - T0 + 5000));
      const [a, b] = [await seekTime(sqlite, t), await seekTime(memory, t)];
      expect(a?.seq).toBe(b?.seq);
      const expected = entries.findIndex((e) => e.time >= t);
      expect(a?.seq).toBe(expected === -1 ? entries.length : expected + 1);
    }
    for (const seq of [1, 2, 1500, 2999, 3000]) {
      const [a, b] = [await readAround(sqlite, seq, 5, 3), await readAround(memory, seq, 5, 3)];
      expect(a?.entries.map((row) => row.seq)).toEqual(b?.entries.map((row) => row.seq));
      expect(a?.entries.map((row) => (JSON.parse(row.json) as LogEntry).msg)).toEqual(
        b?.entries.map((row) => (JSON.parse(row.json) as LogEntry).msg),
      );
      expect([a?.hasBefore, a?.hasAfter]).toEqual([seq - 5 > 1, seq + 3 < 3000]);
    }
    expect(await readAround(sqlite, 3001, 1, 1)).toBeUndefined();
  });

  it('summarizes a database written before summaries existed on its first open', async () => {
    const v1 = await mkdtemp(join(tmpdir(), 'livelog-time-nav-v1-'));
    await copyFile(new URL('../../test-fixtures/v1-livelog.db', import.meta.url), join(v1, 'livelog.db'));
    const old = new SqliteDatabase({ dir: v1 });
    try {
      await old.open();
      const store = await old.stream('default');
      if (store === undefined || !hasHistogram(store)) throw new Error('no default stream');
      const rows = (await store.readAfter(0, 100)).map((row) => JSON.parse(row.json) as LogEntry);
      const since = Math.floor(Math.min(...rows.map((e) => e.time)) / 60_000) * 60_000;
      const result = await store.histogram({ since, until: since + 60 * 60_000, bucketMs: 60_000, maxMs: 1000 });
      let total = 0;
      for (const levels of result.counts.values()) for (const n of levels.values()) total += n;
      expect(total).toBe(rows.length);
    } finally {
      await old.close();
      await rm(v1, { recursive: true, force: true });
    }
  });
});
