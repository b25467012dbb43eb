import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LevelName, type LogEntry, matchEntry, parseQuery, type QueryNode } from '@livelog/protocol';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEntry } from '../entry/new-entry.js';
import { type LogStore, type ReadQuery, resumeOf } from './log-store.js';
import { readAllMatches } from './search.contract.js';
import { queryWords, spell } from './search-tokens.js';
import { SqliteDatabase } from './sqlite-database.js';
import { narrow, pieceKeys, requiredNeedles, SEARCH_BLOCK } from './sqlite-search.js';
import { SqliteStore } from './sqlite-store.js';

// Few letters, so that random terms and random entries share substrings often; case and an accent
// to exercise folding; quotes, colons and dashes to exercise the grammar.
const WORDS = [
  'timeout',
  'Timeout',
  'db',
  'disk',
  'full',
  'DISK FULL',
  'abc',
  'ab',
  'bca',
  'é',
  'Éclair',
  'a"b',
  'x:y',
  'foo-bar',
  '42',
  '500',
];
const word = fc.constantFrom(...WORDS);
const text = fc
  .array(fc.oneof(word, fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'A', ' ', 'é', '"', '-') })), { maxLength: 5 })
  .map((parts) => parts.join(' '));
const level = fc.constantFrom<LevelName>('trace', 'debug', 'info', 'warn', 'error', 'fatal');
const entry: fc.Arbitrary<NewEntry> = fc.record(
  {
    time: fc.constant(1),
    level,
    source: fc.constantFrom('api', 'db', 'web-abc', 'Worker'),
    msg: text,
    fields: fc.record(
      {
        user: fc.record({ id: fc.integer({ min: 0, max: 60 }), name: text }, { requiredKeys: ['id'] }),
        http: fc.record({ status: fc.constantFrom(200, 404, 500) }),
        tags: fc.array(word, { maxLength: 3 }),
        ok: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['time', 'level', 'source', 'msg'] },
);

const quote = (value: string) => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
const bare = fc.constantFrom(
  'timeout',
  'db',
  'disk',
  'full',
  'abc',
  'ab',
  'bca',
  'b',
  'é',
  'ÉCLAIR',
  'foo-bar',
  '42',
  '500',
  'api',
  'warn',
);
const term: fc.Arbitrary<string> = fc.oneof(
  bare,
  word.map(quote),
  fc
    .tuple(fc.constantFrom('msg', 'source', 'user.name', 'tags', 'fields.user.name'), fc.oneof(bare, word.map(quote)))
    .map(([f, v]) => `${f}:${v}`),
  fc
    .tuple(fc.constantFrom('user.id', 'http.status'), fc.constantFrom('', '>=', '<', '>'), fc.constantFrom('0', '42', '42.0', '404', '500'))
    .map(([f, op, v]) => `${f}:${op}${v}`),
  fc.tuple(fc.constantFrom('', '>=', '<='), level).map(([op, l]) => `level:${op}${l}`),
  fc.constantFrom('ok:true', 'ok:false'),
);
const query: fc.Arbitrary<string> = fc.letrec<{ q: string }>((tie) => ({
  q: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    term,
    fc.tuple(tie('q'), tie('q')).map(([a, b]) => `${a} ${b}`),
    fc.tuple(tie('q'), tie('q')).map(([a, b]) => `${a} OR ${b}`),
    tie('q').map((a) => `-(${a})`),
    tie('q').map((a) => `NOT ${a}`),
    tie('q').map((a) => `(${a})`),
  ),
})).q;

async function readAll(store: SqliteStore, node: QueryNode, direction: 'forward' | 'backward'): Promise<number[]> {
  const seqs: number[] = [];
  let position: number | undefined = direction === 'forward' ? 0 : Number.MAX_SAFE_INTEGER;
  while (position !== undefined) {
    const request: ReadQuery =
      direction === 'forward'
        ? { after: position, limit: 400, filter: { query: node } }
        : { before: position, limit: 400, direction, filter: { query: node } };
    const page = await store.read(request);
    // A backward page is in seq order too: older pages go in front.
    if (direction === 'forward') seqs.push(...page.entries.map((e) => e.seq));
    else seqs.unshift(...page.entries.map((e) => e.seq));
    position = resumeOf(page, direction);
  }
  return seqs;
}

describe('SQLite search index', () => {
  let dir: string;
  let store: SqliteStore;
  let corpus: LogEntry[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'livelog-search-'));
    store = new SqliteStore({ dir, scanBudget: { chunkRows: 300 } });
    await store.open();
    const entries = fc.sample(entry, { numRuns: 3000 });
    for (let i = 0; i < entries.length; i += 500) await store.append(entries.slice(i, i + 500));
    corpus = [];
    for (let after: number | undefined = 0; after !== undefined; ) {
      const page = await store.read({ after, limit: 1000 });
      corpus.push(...page.entries.map((e) => JSON.parse(e.json) as LogEntry));
      after = resumeOf(page, 'forward');
    }
    expect(corpus).toHaveLength(3000);
  });
  afterAll(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds exactly what matchEntry finds in memory, for random queries (index path vs live matcher)', async () => {
    let narrowed = 0;
    await fc.assert(
      fc.asyncProperty(query, fc.constantFrom<'forward' | 'backward'>('forward', 'backward'), async (text, direction) => {
        const node = parseQuery(text);
        if (narrow(node) !== undefined) narrowed++;
        const expected = corpus.filter((e) => matchEntry(node, e)).map((e) => e.seq);
        expect(await readAll(store, node, direction)).toEqual(expected);
      }),
      { numRuns: 250 },
    );
    // The property must exercise the index, not only the fallback scan.
    expect(narrowed).toBeGreaterThan(40);
  }, 300_000);

  it('finds a line in a search issued right after its append returns', async () => {
    const { lastSeq } = await store.append([{ time: 2, level: 'info', source: 'api', msg: 'zebrafish unique marker' }]);
    const page = await store.read({ after: 0, limit: 10, filter: { query: parseQuery('zebrafish') } });
    expect(page.entries.map((e) => e.seq)).toEqual([lastSeq]);
  });
});

describe('SQLite search index upkeep', () => {
  const countIndexed = (file: string, trigram: string): number => {
    const db = new Database(file, { readonly: true });
    try {
      const [word] = queryWords(trigram);
      return (
        db.prepare('SELECT count(*) AS n FROM entries_fts WHERE entries_fts MATCH ?').get(`"${spell(word as number)}"`) as { n: number }
      ).n;
    } finally {
      db.close();
    }
  };

  it('is built on open for a file written without it, and dropped when turned off', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'livelog-search-'));
    try {
      const plain = new SqliteStore({ dir, searchIndex: false });
      await plain.open();
      await plain.append(
        Array.from({ length: 100 }, (_, i) => ({
          time: i,
          level: 'info' as const,
          source: 's',
          msg: i % 10 === 0 ? `needle ${i}` : `hay ${i}`,
        })),
      );
      expect((await plain.read({ after: 0, limit: 100, filter: { query: parseQuery('needle') } })).entries).toHaveLength(10);
      await plain.close();
      const indexed = new SqliteStore({ dir });
      await indexed.open();
      expect(indexed.database.searchIndexed).toBe(true);
      expect((await indexed.read({ after: 0, limit: 100, filter: { query: parseQuery('needle') } })).entries).toHaveLength(10);
      await indexed.close();
      // Built one row per block of SEARCH_BLOCK seqs: the needles (seqs 1, 11, …, 91) lie in a few of them.
      const needleBlocks = new Set(Array.from({ length: 10 }, (_, i) => Math.floor((1 + 10 * i) / SEARCH_BLOCK)));
      expect(countIndexed(indexed.database.file, 'eed')).toBe(needleBlocks.size);
      const off = new SqliteStore({ dir, searchIndex: false });
      await off.open();
      expect(off.database.searchIndexed).toBe(false);
      await off.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loses the index rows of the entries retention removes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'livelog-search-'));
    const store = new SqliteStore({ dir });
    await store.open();
    try {
      await store.append(
        Array.from({ length: 1000 }, (_, i) => ({ time: i, level: 'info' as const, source: 's', msg: `line ${i} common` })),
      );
      // One commit: one index row per block of SEARCH_BLOCK seqs (see sqlite-search), once written.
      await store.database.writeSearchIndex();
      expect(countIndexed(store.database.file, 'mmo')).toBe(pieceKeys(1, 1000).length);
      await store.prune({ maxEntries: 100 }, 10_000);
      // Seqs 901..1000 remain, and the rows keyed at 901 or later with them (a block may start before 901).
      expect(countIndexed(store.database.file, 'mmo')).toBe(pieceKeys(1, 1000).filter((key) => key >= 901).length);
      expect((await store.read({ after: 0, limit: 2000, filter: { query: parseQuery('common') } })).entries).toHaveLength(100);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite search index pieces (one index row per block of SEARCH_BLOCK seqs of one commit)', () => {
  it('keys the rows of a commit by the last seq of each block it touches', () => {
    const b = SEARCH_BLOCK;
    expect(pieceKeys(1, 1)).toEqual([1]);
    expect(pieceKeys(1, 2 * b + 8)).toEqual([b - 1, 2 * b - 1, 2 * b + 8]);
    expect(pieceKeys(b, 2 * b - 1)).toEqual([2 * b - 1]);
    expect(pieceKeys(2 * b - 2, 2 * b + 1)).toEqual([2 * b - 1, 2 * b + 1]);
  });

  it('finds what matchEntry finds when commits of 1 to 5 lines of two streams share blocks, any page size', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'livelog-search-pieces-'));
    const database = new SqliteDatabase({ dir, scanBudget: { chunkRows: 64 } });
    await database.open();
    try {
      const streams = [await database.openStream('a'), await database.openStream('b')];
      const entries = fc.sample(entry, { numRuns: 600, seed: 13 });
      const corpus: LogEntry[][] = [[], []];
      for (let i = 0, n = 0; i < entries.length; n++) {
        const size = 1 + (n % 5);
        const batch = entries.slice(i, i + size);
        const which = n % 3 === 0 ? 1 : 0;
        const { firstSeq } = await (streams[which] as LogStore).append(batch);
        corpus[which]?.push(...batch.map((e, k) => ({ id: `x:${firstSeq + k}`, seq: firstSeq + k, ...e }) as LogEntry));
        i += size;
      }
      for (const text of ['timeout', 'disk full', '"abc" OR bca', 'éclair -db', 'x:y', 'foo-bar 42', 'level:error', '500']) {
        const node = parseQuery(text);
        for (const [k, store] of streams.entries()) {
          const expected = (corpus[k] as LogEntry[]).filter((e) => matchEntry(node, e)).map((e) => e.seq);
          for (const limit of [1, 3, 50]) {
            expect(await readAllMatches(store, node, 'forward', limit), `${text} forward ${limit}`).toEqual(expected);
            expect(await readAllMatches(store, node, 'backward', limit), `${text} backward ${limit}`).toEqual(expected);
          }
        }
      }
    } finally {
      await database.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('livelog_query: the needles checked on the raw JSON before parsing', () => {
  it('asks only plain-ASCII positive terms of a top-level AND, never a number compared by value', () => {
    expect(requiredNeedles(parseQuery('GET /API -foo msg:Hi'))).toEqual(['get', '/api', 'hi']);
    expect(requiredNeedles(parseQuery('x OR y'))).toEqual([]);
    expect(requiredNeedles(parseQuery('user:123 user:abc n:>4'))).toEqual(['abc']);
    expect(requiredNeedles(parseQuery('éclair "a\\\\b" tab'))).toEqual(['tab']);
  });

  it('rejects no matching line whose JSON escapes, folds or spells differently', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'livelog-search-needles-'));
    const store = new SqliteStore({ dir });
    await store.open();
    try {
      const odd: NewEntry[] = [
        { time: 1, level: 'info', source: 'S', msg: 'quote"inside and back\\slash', fields: { t: 'tab\there', n: 1e21, b: true, z: null } },
        {
          time: 2,
          level: 'warn',
          source: 'İstanbul',
          msg: 'KELVIN sign \u212A and ΧΑΟΣ\nline',
          fields: { a: ['X\u0001Y', { deep: 'Value' }] },
        },
      ];
      await store.append(odd);
      const corpus = odd.map((e, i) => ({ id: `x:${i + 1}`, seq: i + 1, ...e }) as LogEntry);
      for (const text of [
        'inside',
        'back',
        'slash',
        'here',
        '1e+21',
        'true',
        'null',
        'i',
        'stanbul',
        'k and',
        'line',
        'x',
        'y',
        'value',
        'a.deep:value',
        'b:true',
        'z:null',
        'source:s',
        'warn',
      ]) {
        const node = parseQuery(text);
        const expected = corpus.filter((e) => matchEntry(node, e)).map((e) => e.seq);
        expect(expected.length, text).toBeGreaterThan(0);
        expect(await readAllMatches(store, node, 'forward', 10), text).toEqual(expected);
      }
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
