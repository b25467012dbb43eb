// Issue 13 measurements (not a test): histogram over N entries, seek, and the ingest cost of the
// summary slices. `node scripts/measure-time-navigation.mjs [entries]` after `npm run build`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasHistogram, SqliteDatabase, seekTime } from '@livelog/core';
import Database from 'better-sqlite3';

const N = Number(process.argv[2] ?? 1_000_000);
const BATCH = 1000;
const LEVELS = ['debug', 'info', 'info', 'info', 'warn', 'error'];
const LEVEL_NUMBERS = { debug: 20, info: 30, warn: 40, error: 50 };
const dir = mkdtempSync(join(tmpdir(), 'livelog-measure-'));
const T0 = Date.now() - 7 * 86_400_000;
const SPAN = 7 * 86_400_000 - 60_000;
const timeOf = (i) => T0 + Math.floor((i * SPAN) / N);
const entry = (i) => ({
  time: timeOf(i),
  level: LEVELS[i % LEVELS.length],
  source: i % 7 === 0 ? 'db' : 'api',
  msg: `request ${i} took ${i % 997} ms`,
  fields: { user: i % 1000 },
});
const pct = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))];
const fmt = (ms) => `${ms.toFixed(2)} ms`;

const db = new SqliteDatabase({ dir });
await db.open();
const stream = await db.openStream('bench');
const started = performance.now();
for (let i = 0; i < N; i += BATCH) await stream.append(Array.from({ length: Math.min(BATCH, N - i) }, (_, j) => entry(i + j)));
const ingestMs = performance.now() - started;
console.log(
  `ingest (full path, summaries on): ${N} entries in ${(ingestMs / 1000).toFixed(1)} s = ${Math.round(N / (ingestMs / 1000))} entries/s`,
);

if (!hasHistogram(stream)) throw new Error('no histogram');
const histogram = async (label, query, runs = 20) => {
  const times = [];
  let result;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    result = await stream.histogram({ maxMs: 10_000, ...query });
    times.push(performance.now() - t);
  }
  let total = 0;
  for (const levels of result.counts.values()) for (const n of levels.values()) total += n;
  console.log(
    `histogram ${label}: p50 ${fmt(pct(times, 50))}, p99 ${fmt(pct(times, 99))} (counted ${total}${result.partial ? ', partial' : ''})`,
  );
};
const hour = 3_600_000;
const end = T0 + 7 * 86_400_000;
const weekStart = Math.floor(T0 / hour) * hour;
await histogram('whole store, 200 buckets of 1h (minute slices)', { since: weekStart, until: weekStart + 200 * hour, bucketMs: hour });
const lastHour = Math.floor((end - hour) / 60_000) * 60_000;
await histogram('last hour, 60 buckets of 1m', { since: lastHour, until: lastHour + hour, bucketMs: 60_000 });
await histogram('last hour, 120 buckets of 30s (second slices)', { since: lastHour, until: lastHour + hour, bucketMs: 30_000 });
await histogram('whole store, level>=warn (slices)', {
  since: weekStart,
  until: weekStart + 200 * hour,
  bucketMs: hour,
  filter: { level: 'warn' },
});
await histogram(
  'whole store, source=db (reads entries, budget 10 s)',
  { since: weekStart, until: weekStart + 200 * hour, bucketMs: hour, filter: { sources: ['db'] } },
  3,
);
await histogram('last hour, source=db (reads entries)', {
  since: lastHour,
  until: lastHour + hour,
  bucketMs: 60_000,
  filter: { sources: ['db'] },
});

const seeks = [];
for (let r = 0; r < 500; r++) {
  const time = T0 + Math.floor(Math.random() * SPAN);
  const t = performance.now();
  const row = await seekTime(stream, time);
  seeks.push(performance.now() - t);
  if (row === undefined) throw new Error('seek found nothing');
}
console.log(`seek: p50 ${fmt(pct(seeks, 50))}, p99 ${fmt(pct(seeks, 99))} over 500 random times`);
await db.close();

// Ingest cost of the slices, SQL alone: the writer's statements with and without the slice upserts.
const raw = (withSlices) => {
  const file = join(dir, `ab-${withSlices}.db`);
  const d = new Database(file);
  d.pragma('journal_mode = WAL');
  d.pragma('synchronous = NORMAL');
  d.exec(`CREATE TABLE entries (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, level INTEGER NOT NULL, source TEXT NOT NULL, size INTEGER NOT NULL, json TEXT NOT NULL, received INTEGER);
    CREATE INDEX entries_source ON entries (source, seq);
    CREATE TABLE time_marks (last_seq INTEGER PRIMARY KEY, max_time INTEGER NOT NULL);
    CREATE TABLE time_slices (stream INTEGER NOT NULL, width INTEGER NOT NULL, slice INTEGER NOT NULL, level INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (stream, width, slice, level)) WITHOUT ROWID;`);
  const insert = d.prepare('INSERT INTO entries (seq, time, level, source, size, json, received) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const mark = d.prepare('INSERT OR REPLACE INTO time_marks (last_seq, max_time) VALUES (?, ?)');
  const slice = d.prepare(
    'INSERT INTO time_slices VALUES (?, ?, ?, ?, ?) ON CONFLICT (stream, width, slice, level) DO UPDATE SET count = count + excluded.count',
  );
  const t = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const rows = Array.from({ length: Math.min(BATCH, N - i) }, (_, j) => entry(i + j));
    d.transaction(() => {
      const slices = new Map();
      rows.forEach((e, j) => {
        const json = JSON.stringify({ id: `x:${i + j + 1}`, seq: i + j + 1, ...e });
        insert.run(i + j + 1, e.time, LEVEL_NUMBERS[e.level], e.source, json.length, json, Date.now());
        if (withSlices) {
          for (const width of [1000, 60_000]) {
            const key = `${width}/${Math.floor(e.time / width) * width}/${e.level}`;
            slices.set(key, (slices.get(key) ?? 0) + 1);
          }
        }
      });
      mark.run(i + rows.length, rows[rows.length - 1].time);
      for (const [key, n] of slices) {
        const [width, start, level] = key.split('/');
        slice.run(0, Number(width), Number(start), LEVEL_NUMBERS[level], n);
      }
    })();
  }
  const ms = performance.now() - t;
  const slices = d.prepare('SELECT COUNT(*) AS n FROM time_slices').get().n;
  d.close();
  return { ms, slices };
};
const without = raw(false);
const withSlices = raw(true);
console.log(
  `writer SQL, ${N} entries in batches of ${BATCH}: without slices ${(without.ms / 1000).toFixed(2)} s, with ${(withSlices.ms / 1000).toFixed(2)} s (${((withSlices.ms / without.ms) * 100).toFixed(1)}% of the time; ${withSlices.slices} slice rows)`,
);
rmSync(dir, { recursive: true, force: true });
