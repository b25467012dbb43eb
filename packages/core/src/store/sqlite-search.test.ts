import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LevelName, type LogEntry, matchEntry, parseQuery, type QueryNode } from '@livelog/protocol';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEntry } from '../entry/new-entry.js';
import { type ReadQuery, resumeOf } from './log-store.js';
import { narrow } from './sqlite-search.js';
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
      return (db.prepare('SELECT count(*) AS n FROM entries_fts WHERE entries_fts MATCH ?').get(`"${trigram}"`) as { n: number }).n;
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
      expect(countIndexed(indexed.database.file, 'eed')).toBe(10);
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
      expect(countIndexed(store.database.file, 'mmo')).toBe(1000);
      await store.prune({ maxEntries: 100 }, 10_000);
      expect(countIndexed(store.database.file, 'mmo')).toBe(100);
      expect((await store.read({ after: 0, limit: 2000, filter: { query: parseQuery('common') } })).entries).toHaveLength(100);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
