import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseQuery } from '@livelog/protocol';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewEntry } from '../entry/new-entry.js';
import type { LogStore } from './log-store.js';
import { readAllMatches } from './search.contract.js';
import { SqliteDatabase } from './sqlite-database.js';
import { SEQ_BITS, SEQ_MASK } from './sqlite-schema.js';

// The search index's rows follow the commit that stored their entries (DeferredIndex): a search
// finds an acknowledged entry before its rows exist, deletes take rows that were still queued, and a
// process killed before writing them leaves them to the next open.

const line = (stream: string, seq: number): NewEntry => ({
  time: 1_700_000_000_000 + seq,
  level: seq % 5 === 0 ? 'error' : 'info',
  source: 'svc',
  msg: `tok${stream}x${seq}z shared${seq % 9 === 0 ? ' rare' : ''}`,
});
const lines = (stream: string, first: number, count: number) => Array.from({ length: count }, (_, i) => line(stream, first + i));
const seqsTo = (last: number, keep: (seq: number) => boolean = () => true) => Array.from({ length: last }, (_, i) => i + 1).filter(keep);

/** Per stream name, the last seq with index rows (0 when none), read through a connection of its own. */
function indexedUpTo(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT s.name AS name, COALESCE((SELECT MAX(entry) & ${SEQ_MASK} FROM search_pieces
           WHERE entry > (s.key << ${SEQ_BITS}) AND entry <= ((s.key << ${SEQ_BITS}) | ${SEQ_MASK})), 0) AS last
         FROM streams AS s ORDER BY s.name`,
      )
      .all() as { name: string; last: number }[];
    return Object.fromEntries(rows.map(({ name, last }) => [name, last]));
  } finally {
    db.close();
  }
}

/** Every search the test makes of stream `name` holding seqs 1..last, forward and backward, several page sizes. */
async function expectFound(store: LogStore, name: string, last: number): Promise<void> {
  for (const limit of [1, 7, 500]) {
    for (const direction of ['forward', 'backward'] as const) {
      const label = `${name} ${direction} ${limit}`;
      expect(await readAllMatches(store, parseQuery('rare'), direction, limit), label).toEqual(seqsTo(last, (seq) => seq % 9 === 0));
      expect(await readAllMatches(store, parseQuery('shared'), direction, limit), label).toEqual(seqsTo(last));
      expect(await readAllMatches(store, parseQuery(`tok${name}x${last}z`), direction, limit), label).toEqual([last]);
      expect(await readAllMatches(store, parseQuery(`tok${name}x1z`), direction, limit), label).toEqual([1]);
    }
  }
}

describe('SQLite search index rows written after their commit', () => {
  let dir: string;
  let database: SqliteDatabase;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'livelog-deferred-index-'));
    // Rows wait until written on request (or on close): the test sees both states.
    database = new SqliteDatabase({ dir, searchIndexDelayMs: 600_000 });
    await database.open();
  });
  afterEach(async () => {
    await database.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds acknowledged entries that have no index rows yet, and the same once they have', async () => {
    const a = await database.openStream('a');
    const b = await database.openStream('b');
    await a.append(lines('a', 1, 100));
    await b.append(lines('b', 1, 40));
    expect(await database.writeSearchIndex()).toBe(140);
    // Half-way through a block of 32 and beyond: the index stops at 100 and 40, the rest is scanned.
    await a.append(lines('a', 101, 150));
    await b.append(lines('b', 41, 3));
    await a.append(lines('a', 251, 17));
    expect(indexedUpTo(database.file)).toEqual({ a: 100, b: 40 });
    await expectFound(a, 'a', 267);
    await expectFound(b, 'b', 43);
    expect(await database.writeSearchIndex()).toBe(170);
    expect(indexedUpTo(database.file)).toEqual({ a: 267, b: 43 });
    expect(await database.writeSearchIndex()).toBe(0);
    await expectFound(a, 'a', 267);
    await expectFound(b, 'b', 43);
  });

  it('retention takes the rows of entries whose rows were still queued', async () => {
    const a = await database.openStream('a');
    await a.append(lines('a', 1, 1000));
    expect(indexedUpTo(database.file)).toEqual({ a: 0 });
    while ((await a.prune({ maxEntries: 100 }, 97)) > 0);
    // The prune wrote the queued rows first, then deleted those of the removed entries.
    expect(await database.writeSearchIndex()).toBe(0);
    const db = new Database(database.file, { readonly: true });
    try {
      const below = db.prepare(`SELECT count(*) AS n FROM search_pieces WHERE (entry & ${SEQ_MASK}) <= 896`).get() as { n: number };
      expect(below.n, 'no row keyed before the block holding seq 901').toBe(0);
      const orphans = db.prepare('SELECT count(*) AS n FROM entries_fts WHERE rowid NOT IN (SELECT piece FROM search_pieces)').get() as {
        n: number;
      };
      expect(orphans.n).toBe(0);
    } finally {
      db.close();
    }
    expect(await readAllMatches(a, parseQuery('shared'), 'backward', 30)).toEqual(seqsTo(1000).filter((seq) => seq > 900));
    expect(await readAllMatches(a, parseQuery('rare'), 'forward', 4)).toEqual(seqsTo(1000, (seq) => seq > 900 && seq % 9 === 0));
  });

  it('writes the queued rows on close, and keeps durability full around its own commits', async () => {
    const a = await database.openStream('a');
    await a.append(lines('a', 1, 50));
    expect(await database.durability()).toBe('full');
    expect(await database.writeSearchIndex()).toBe(50);
    expect(await database.durability(), 'the index write restores synchronous = FULL').toBe('full');
    await a.append(lines('a', 51, 10));
    await database.close();
    expect(indexedUpTo(database.file)).toEqual({ a: 60 });
    database = new SqliteDatabase({ dir });
    await database.open();
  });
});

it('finds every acknowledged match while index writes land between and during searches', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'livelog-deferred-index-race-'));
  // Index rows written 5 ms after their commit: they land while the searches below read.
  const database = new SqliteDatabase({ dir, searchIndexDelayMs: 5, scanBudget: { chunkRows: 64 } });
  await database.open();
  try {
    const streams = { a: await database.openStream('a'), b: await database.openStream('b') };
    const last = { a: 0, b: 0 };
    const states = new Set<string>();
    for (let round = 0; round < 30; round++) {
      for (const name of ['a', 'b'] as const) {
        const count = 1 + ((round * 17 + (name === 'a' ? 3 : 11)) % 45);
        const result = await streams[name].append(lines(name, last[name] + 1, count));
        last[name] = result.lastSeq;
      }
      const indexed = indexedUpTo(database.file);
      states.add(indexed.a === last.a ? 'indexed' : indexed.a === 0 ? 'none' : 'partly');
      for (const name of ['a', 'b'] as const) {
        const store = streams[name];
        const rare = seqsTo(last[name], (seq) => seq % 9 === 0);
        expect(await readAllMatches(store, parseQuery('rare'), 'backward', 5), `${name} round ${round}`).toEqual(rare);
        expect(await readAllMatches(store, parseQuery('rare'), 'forward', 3), `${name} round ${round}`).toEqual(rare);
        expect(await readAllMatches(store, parseQuery(`tok${name}x${last[name]}z`), 'backward', 2)).toEqual([last[name]]);
      }
    }
    // The searches met the index behind the stream at least once (else this proved nothing new).
    expect(
      [...states].some((state) => state !== 'indexed'),
      [...states].join(),
    ).toBe(true);
  } finally {
    await database.close();
    await rm(dir, { recursive: true, force: true });
  }
});

// A process acknowledging appends whose index rows it never writes (a long delay), then killed.
const WRITER = `(async () => {
const { SqliteDatabase } = await import(process.env.LIVELOG_CORE);
const database = new SqliteDatabase({ dir: process.env.LIVELOG_DIR, searchIndexDelayMs: 600000 });
await database.open();
const streams = [await database.openStream('a'), await database.openStream('b')];
let next = [1, 1];
for (let round = 0; round < 8; round++) {
  for (const [i, stream] of streams.entries()) {
    const count = 7 + round * 3 + i;
    const name = i === 0 ? 'a' : 'b';
    const batch = Array.from({ length: count }, (_, n) => {
      const seq = next[i] + n;
      return { time: 1, level: 'info', source: 's', msg: 'tok' + name + 'x' + seq + 'z shared' + (seq % 9 === 0 ? ' rare' : '') };
    });
    const result = await stream.append(batch);
    next[i] = result.lastSeq + 1;
    if (round === 3 && i === 1) process.stdout.write('written ' + (await database.writeSearchIndex()) + '\\n');
  }
}
process.stdout.write('acked ' + (next[0] - 1) + ' ' + (next[1] - 1) + '\\n');
setInterval(() => {}, 1000);
})();
`;

it('indexes on open what a process killed before writing its index rows left', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'livelog-deferred-index-kill-'));
  try {
    const moduleUrl = new URL('../../dist/index.js', import.meta.url).href;
    const child = spawn(process.execPath, ['-e', WRITER], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, LIVELOG_CORE: moduleUrl, LIVELOG_DIR: dir },
    });
    const acked = await new Promise<[number, number]>((resolve, reject) => {
      let text = '';
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`the writer exited (${code}) before acknowledging: ${text}`)));
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const match = /acked (\d+) (\d+)\n/.exec(text);
        if (match !== null) resolve([Number(match[1]), Number(match[2])]);
      });
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const [lastA, lastB] = acked;
    const file = join(dir, 'livelog.db');
    const before = indexedUpTo(file);
    // Rounds 0..3 were written on request; what came after only queued when the process died.
    expect(before.a).toBeGreaterThan(0);
    expect(before.a).toBeLessThan(lastA);
    expect(before.b).toBeLessThan(lastB);
    const database = new SqliteDatabase({ dir });
    await database.open();
    try {
      expect(indexedUpTo(file), 'indexed on open, before any search').toEqual({ a: lastA, b: lastB });
      for (const [name, last] of [
        ['a', lastA],
        ['b', lastB],
      ] as const) {
        await expectFound(await database.openStream(name), name, last);
      }
    } finally {
      await database.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
