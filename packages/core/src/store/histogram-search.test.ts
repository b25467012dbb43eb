import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LEVEL_NAMES, type LevelName, parseQuery } from '@livelog/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryFilter } from '../entry/entry-filter.js';
import type { NewEntry } from '../entry/new-entry.js';
import { bruteHistogram, plainHistogram } from './histogram-oracle.js';
import type { LogStore } from './log-store.js';
import { MemoryStore } from './memory-store.js';
import { SqliteDatabase } from './sqlite-database.js';
import { type HistogramQuery, hasHistogram, scanHistogram } from './time-navigation.js';

// Issue 13: histogram counts per bucket and level equal a brute-force count over ~90 random ranges,
// with and without `q` (alone and with level/source), on the SQLite store (summary slices when the
// range allows, entry counts otherwise, index on and off) and on the generic scan (memory, and any
// store without its own histogram). Seeded; a failure names the seed.
const SEED = Number(process.env.LIVELOG_HISTOGRAM_SEED ?? Math.floor(Math.random() * 2 ** 31));
let state = SEED >>> 0;
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

const WORDS = ['timeout', 'Reset', 'disk full', 'payment', 'ok', 'é', '日本', 'order 42', 'retry'];
const SOURCES = ['api', 'db', 'worker'];
const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const entries: NewEntry[] = [];
let time = T0;
for (let i = 0; i < 4000; i++) {
  // Gaps of 0 (equal times) to 4 s; times never go back, as ingest keeps them close to arrival.
  time += Math.floor(random() * 4000);
  entries.push({
    time,
    level: pick(LEVEL_NAMES),
    source: pick(SOURCES),
    msg: `${pick(WORDS)} ${pick(WORDS)} #${i}`,
    fields: { user: { id: Math.floor(random() * 50) }, http: { status: pick([200, 404, 500]) } },
  });
}
const LAST = (entries[entries.length - 1] as NewEntry).time;
const QUERIES = [
  'timeout',
  'reset OR "disk full"',
  '-ok',
  'user.id:<10',
  'http.status:>=500 payment',
  '日本',
  'level:>=warn retry',
  'é -source:db',
];

const dirs: string[] = [];
const stores: { name: string; store: LogStore }[] = [];

beforeAll(async () => {
  for (const searchIndex of [true, false]) {
    const dir = await mkdtemp(join(tmpdir(), 'livelog-histogram-search-'));
    dirs.push(dir);
    const database = new SqliteDatabase({ dir, searchIndex });
    await database.open();
    stores.push({ name: `sqlite, index ${searchIndex ? 'on' : 'off'}`, store: await database.openStream('h') });
  }
  const memory = new MemoryStore();
  await memory.open();
  stores.push({ name: 'memory', store: memory });
  for (const { store } of stores) for (let i = 0; i < entries.length; i += 500) await store.append(entries.slice(i, i + 500));
}, 120_000);
afterAll(async () => {
  for (const { store } of stores) await store.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe(`histogram counts with and without q (LIVELOG_HISTOGRAM_SEED=${SEED})`, () => {
  it('equal a brute-force count on 90 random ranges, on every store and path', async () => {
    let withQuery = 0;
    let nonEmpty = 0;
    for (let round = 0; round < 90; round++) {
      const bucketMs = pick([250, 1000, 5000, 60_000, 300_000, 750]);
      // Half aligned to the bucket (the summary path may serve it), half not; some start before the data.
      const from = T0 - 60_000 + Math.floor(random() * (LAST - T0 + 120_000));
      const since = random() < 0.5 ? Math.floor(from / bucketMs) * bucketMs : from;
      const until = since + bucketMs * (1 + Math.floor(random() * 120));
      const q = round % 3 === 0 ? undefined : pick(QUERIES);
      const filter: EntryFilter = {};
      if (q !== undefined) filter.query = parseQuery(q);
      if (random() < 0.25) filter.level = pick<LevelName>(['debug', 'warn', 'error']);
      if (random() < 0.25) filter.sources = [pick(SOURCES)];
      const query: HistogramQuery = { since, until, bucketMs, filter, maxMs: 60_000 };
      const expected = bruteHistogram(entries, since, until, bucketMs, filter);
      if (q !== undefined) withQuery++;
      if (Object.keys(expected).length > 0) nonEmpty++;
      const label = `seed ${SEED}, round ${round}: since ${since} + ${until - since} ms / ${bucketMs} ms, q=${q} level=${filter.level} sources=${filter.sources}`;
      for (const { name, store } of stores) {
        if (hasHistogram(store)) {
          const own = await store.histogram(query);
          expect(own.partial, `${name} ${label}`).toBe(false);
          expect(plainHistogram(own, true), `${name} ${label}`).toEqual(expected);
        }
        expect(plainHistogram(await scanHistogram(store, query), true), `${name} (scan) ${label}`).toEqual(expected);
      }
    }
    expect(withQuery).toBe(60);
    expect(nonEmpty, `seed ${SEED}: the ranges must mostly hold entries`).toBeGreaterThan(60);
  }, 300_000);
});
