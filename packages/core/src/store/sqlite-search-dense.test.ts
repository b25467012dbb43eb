import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LogEntry, parseQuery, searchableParts } from '@livelog/protocol';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewEntry } from '../entry/new-entry.js';
import type { LogStore } from './log-store.js';
import { readAllMatches } from './search.contract.js';
import { SqliteDatabase } from './sqlite-database.js';
import { SEARCH_BLOCK } from './sqlite-search.js';

// Dense index rowids (see sqlite-search): index rows are numbered by a store-wide piece counter and
// mapped to their entries, so one group commit interleaves the index rows of many streams. A stream's
// search must still find every match of its own and nothing of another's, retention must take the
// index rows of every stream with their lines, and a file of the previous layout must be rebuilt.
const STREAMS = 40;
const line = (stream: number, seq: number): NewEntry => ({
  time: seq,
  level: seq % 4 === 0 ? 'error' : 'info',
  source: 'svc',
  msg: `shared line ${seq} of s${stream}x ${seq % 9 === 0 ? `rare${seq}` : ''} ${stream % 2 === 0 ? 'evenstream' : ''}`,
});

/** Counts of the index's tables, and whether its rowids are dense (1..n with no gap). */
function indexState(file: string): { fts: number; pieces: number; dense: boolean } {
  const db = new Database(file, { readonly: true });
  try {
    const fts = (db.prepare('SELECT count(*) AS n FROM entries_fts').get() as { n: number }).n;
    const { n, low, high } = db.prepare('SELECT count(*) AS n, MIN(rowid) AS low, MAX(rowid) AS high FROM entries_fts').get() as {
      n: number;
      low: number | null;
      high: number | null;
    };
    const pieces = (db.prepare('SELECT count(*) AS n FROM search_pieces').get() as { n: number }).n;
    return { fts, pieces, dense: n === 0 || (high as number) - (low as number) + 1 === n };
  } finally {
    db.close();
  }
}

/** Pieces whose key entry is gone: none may be left behind by a delete. */
function orphanPieces(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM search_pieces WHERE entry NOT IN (SELECT seq FROM entries)').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('SQLite search index with dense rowids: many streams in one group commit', () => {
  let dir: string;
  let database: SqliteDatabase;
  let streams: LogStore[];
  /** Per stream, how many lines it holds (seqs 1..n). */
  let sizes: number[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'livelog-search-dense-'));
    database = new SqliteDatabase({ dir, scanBudget: { chunkRows: 64 } });
    await database.open();
    streams = [];
    for (let s = 0; s < STREAMS; s++) streams.push(await database.openStream(`s${s}`));
    sizes = Array.from({ length: STREAMS }, () => 0);
    // Rounds of concurrent appends of 1..23 lines to every stream: the group commit takes many
    // streams' batches at once, so their pieces interleave in the index.
    const before = database.stats.commits;
    for (let round = 0; round < 6; round++) {
      await Promise.all(
        streams.map((store, s) => {
          const count = 1 + ((s * 7 + round * 5) % 23);
          const first = (sizes[s] as number) + 1;
          sizes[s] = (sizes[s] as number) + count;
          return store.append(Array.from({ length: count }, (_, i) => line(s, first + i)));
        }),
      );
      // Each round's index rows in one write: rounds interleave streams' pieces in the index.
      await database.writeSearchIndex();
    }
    expect(database.stats.commits - before, 'groups held several streams').toBeLessThan(6 * STREAMS);
  });
  afterEach(async () => {
    await database.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("finds every match of a stream's own and none of another's, forward and backward, any page size", async () => {
    const state = indexState(database.file);
    expect(state.dense, 'index rowids are a counter, not entry rowids').toBe(true);
    expect(state.pieces).toBe(state.fts);
    for (const [s, store] of streams.entries()) {
      const all = Array.from({ length: sizes[s] as number }, (_, i) => i + 1);
      const cases: [string, number[]][] = [
        ['shared', all],
        [`s${s}x`, all],
        [`s${(s + 1) % STREAMS}x`, []],
        ['rare', all.filter((seq) => seq % 9 === 0)],
        [`rare${18}`, all.filter((seq) => seq === 18)],
        ['evenstream', s % 2 === 0 ? all : []],
      ];
      for (const [q, expected] of cases) {
        for (const limit of s % 5 === 0 ? [1, 7, 200] : [7]) {
          expect(await readAllMatches(store, parseQuery(q), 'forward', limit), `s${s} ${q} forward ${limit}`).toEqual(expected);
          expect(await readAllMatches(store, parseQuery(q), 'backward', limit), `s${s} ${q} backward ${limit}`).toEqual(expected);
        }
      }
      const page = await store.read({ after: 0, limit: 1000, filter: { query: parseQuery('shared') } });
      expect(page.entries.every((entry) => entry.json.includes(` of s${s}x `))).toBe(true);
    }
  });

  it('finds the matches of a stream written a line per group between busy streams matching the same term', async () => {
    // The window's piece range then holds mostly other streams' pieces, with seqs far beyond this
    // stream's: candidates must be this stream's pieces only, or they page past its own.
    const lone = await database.openStream('lone');
    // The busy streams' seqs far beyond the lone one's: their pieces cannot stand for its lines.
    const hay = Array.from({ length: 1000 }, (_, i) => ({ time: 0, level: 'info' as const, source: 'svc', msg: `hay ${i}` }));
    await Promise.all(streams.slice(0, 10).map((store) => store.append(hay)));
    for (let round = 1; round <= 100; round++) {
      await Promise.all([
        lone.append([{ time: round, level: 'info', source: 'svc', msg: round > 90 ? `needle ${round}` : `hay ${round}` }]),
        ...streams
          .slice(0, 10)
          .map((store) =>
            store.append(
              Array.from({ length: 16 }, (_, i) => ({ time: round, level: 'info' as const, source: 'svc', msg: `needle ${i}` })),
            ),
          ),
      ]);
    }
    const expected = Array.from({ length: 10 }, (_, i) => 91 + i);
    for (const limit of [1, 4, 200]) {
      expect(await readAllMatches(lone, parseQuery('needle'), 'forward', limit), `forward ${limit}`).toEqual(expected);
      expect(await readAllMatches(lone, parseQuery('needle'), 'backward', limit), `backward ${limit}`).toEqual(expected);
    }
  });

  it('scans a slow stream among busy ones (its piece range is mostly theirs) and finds what brute force does', async () => {
    // Regression of dense rowids: the lone stream's range holds ~10 busy pieces per line of its own,
    // and a term common in them made FTS5 read all of their doclist. Its windows are now scanned
    // (64 rows a step here, chunkRows), the rest of a window read through the index.
    const lone = await database.openStream('lone');
    // New streams, so that they hold nothing but their 16-line groups (beforeEach's are sparse too).
    const busy: LogStore[] = [];
    for (let b = 0; b < 10; b++) busy.push(await database.openStream(`busy${b}`));
    const msg = (i: number) => `${i % 3 === 0 ? 'common' : 'hay'} ${i % 50 === 0 ? 'rareword' : ''} ${i}`;
    for (let round = 1; round <= 300; round++) {
      await Promise.all([
        lone.append([{ time: round, level: 'info', source: 'svc', msg: msg(round) }]),
        ...busy.map((store) =>
          store.append(Array.from({ length: 16 }, (_, i) => ({ time: round, level: 'info' as const, source: 'svc', msg: `common ${i}` }))),
        ),
      ]);
    }
    const all = Array.from({ length: 300 }, (_, i) => i + 1);
    const cases: [string, number[]][] = [
      ['common', all.filter((i) => msg(i).includes('common'))],
      ['rareword', all.filter((i) => i % 50 === 0)],
      ['absentword', []],
      ['common rareword', all.filter((i) => i % 150 === 0)],
    ];
    const before = database.stats.sparseScans;
    for (const [q, expected] of cases) {
      for (const limit of [1, 7, 200]) {
        expect(await readAllMatches(lone, parseQuery(q), 'forward', limit), `${q} forward ${limit}`).toEqual(expected);
        expect(await readAllMatches(lone, parseQuery(q), 'backward', limit), `${q} backward ${limit}`).toEqual(expected);
      }
    }
    expect(database.stats.sparseScans - before, 'windows of the lone stream scanned').toBeGreaterThan(0);
    // A busy stream's range is its own pieces and its neighbours' few: the index, as before.
    const scans = database.stats.sparseScans;
    const busyMatches = await readAllMatches(busy[0] as LogStore, parseQuery('common'), 'backward', 50);
    expect(busyMatches).toHaveLength(300 * 16);
    expect(database.stats.sparseScans, 'no busy window scanned').toBe(scans);
  });

  it('takes the index rows of every stream with their lines: prunes, deletes, back to an empty index', async () => {
    const baseline = indexState(database.file);
    expect(baseline.fts).toBeGreaterThan(STREAMS);
    for (const [s, store] of streams.entries()) while ((await store.prune({ maxEntries: 10 + (s % 3) }, 7)) > 0);
    const pruned = indexState(database.file);
    expect(pruned.fts).toBeLessThan(baseline.fts);
    expect(pruned.pieces).toBe(pruned.fts);
    expect(orphanPieces(database.file)).toBe(0);
    for (const [s, store] of streams.entries()) {
      const last = sizes[s] as number;
      const kept = Array.from({ length: last }, (_, i) => i + 1).filter((seq) => seq > last - (10 + (s % 3)));
      expect(await readAllMatches(store, parseQuery('shared'), 'backward', 4), `s${s}`).toEqual(kept);
      expect(await readAllMatches(store, parseQuery('rare'), 'forward', 4), `s${s}`).toEqual(kept.filter((seq) => seq % 9 === 0));
    }
    // Half the streams deleted (purged in the background), the others pruned to nothing.
    for (let s = 0; s < STREAMS; s += 2) expect(await database.delete(`s${s}`)).toBe(true);
    for (let s = 1; s < STREAMS; s += 2) while ((await (streams[s] as LogStore).prune({ maxEntries: 0 }, 5)) > 0);
    const deadline = Date.now() + 20_000;
    while (indexState(database.file).fts > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(indexState(database.file)).toEqual({ fts: 0, pieces: 0, dense: true });
  });
});

describe('SQLite search index: a file of an earlier layout', () => {
  // The earlier layouts all had FTS5's trigram tokenizer read each entry's searchable parts. Before
  // dense rowids: index rows keyed by entry rowid (one per piece of 16 seqs, or one per entry before
  // pieces), removed by a trigger on entries, and no piece map. Then dense rowids with the piece map.
  const TRIGRAMS = `DROP TABLE entries_fts; DROP TABLE search_layout; CREATE VIRTUAL TABLE entries_fts USING fts5(
    text, tokenize = 'trigram case_sensitive 0', content = '', contentless_delete = 1, detail = 'none');`;
  const TRIGGER = 'CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries BEGIN DELETE FROM entries_fts WHERE rowid = old.seq; END;';
  const OLD = {
    pieces: `${TRIGRAMS} DROP TABLE search_pieces; INSERT INTO entries_fts (rowid, text) SELECT MAX(seq), group_concat(text_of(json), char(10)) FROM entries GROUP BY seq >> 4; ${TRIGGER}`,
    entries: `${TRIGRAMS} DROP TABLE search_pieces; INSERT INTO entries_fts (rowid, text) SELECT seq, text_of(json) FROM entries; ${TRIGGER}`,
    'dense trigrams': `${TRIGRAMS} DELETE FROM search_pieces; INSERT INTO search_pieces (entry) SELECT MAX(seq) FROM entries GROUP BY seq >> 4 ORDER BY 1;
      INSERT INTO entries_fts (rowid, text) SELECT piece, (SELECT group_concat(text_of(json), char(10)) FROM entries
      WHERE seq BETWEEN ((entry >> 4) << 4) AND entry) FROM search_pieces ORDER BY piece;`,
  };
  for (const [layout, fill] of Object.entries(OLD)) {
    it(`is rebuilt on open, logged, and searched, appended to and pruned as any (${layout})`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'livelog-search-layout-'));
      try {
        const first = new SqliteDatabase({ dir });
        await first.open();
        const a = await first.openStream('a');
        const b = await first.openStream('b');
        await Promise.all([
          a.append(Array.from({ length: 60 }, (_, i) => line(0, i + 1))),
          b.append(Array.from({ length: 45 }, (_, i) => line(1, i + 1))),
        ]);
        await first.close();
        const db = new Database(first.file);
        db.function('text_of', (json: unknown) => searchableParts(JSON.parse(String(json)) as LogEntry).join('\n'));
        db.exec(fill);
        db.close();
        const warnings: string[] = [];
        const database = new SqliteDatabase({ dir, log: { warn: (_details, message) => warnings.push(message) } });
        await database.open();
        try {
          expect(warnings).toEqual(['rebuilt the search index of an older layout']);
          const pieces = Math.floor(60 / SEARCH_BLOCK) + 1 + Math.floor(45 / SEARCH_BLOCK) + 1;
          expect(indexState(database.file)).toEqual({ fts: pieces, pieces, dense: true });
          const [a2, b2] = [await database.openStream('a'), await database.openStream('b')];
          await a2.append(Array.from({ length: 20 }, (_, i) => line(0, 61 + i)));
          const nines = (n: number) => Array.from({ length: n }, (_, i) => i + 1).filter((seq) => seq % 9 === 0);
          expect(await readAllMatches(a2, parseQuery('rare'), 'forward', 2)).toEqual(nines(80));
          expect(await readAllMatches(b2, parseQuery('rare'), 'backward', 2)).toEqual(nines(45));
          expect(await readAllMatches(b2, parseQuery('s0x'), 'backward', 2)).toEqual([]);
          while ((await a2.prune({ maxEntries: 30 }, 1000)) > 0);
          expect(await readAllMatches(a2, parseQuery('rare'), 'forward', 2)).toEqual(nines(80).filter((seq) => seq > 50));
          expect(orphanPieces(database.file)).toBe(0);
        } finally {
          await database.close();
        }
        // Opened again: nothing to rebuild.
        const again = new SqliteDatabase({ dir, log: { warn: (_details, message) => warnings.push(message) } });
        await again.open();
        await again.close();
        expect(warnings).toHaveLength(1);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
