import { LEVELS, type LogEntry, matchEntry, type QueryComparison, type QueryNode } from '@livelog/protocol';
import type Database from 'better-sqlite3';
import { PieceWords, queryWords, spell } from './search-tokens.js';
import { SEQ_BITS, SEQ_MASK } from './sqlite-schema.js';

/**
 * The search index of the SQLite store: an FTS5 table of trigrams, each written as a word of its own
 * by `PieceWords` (search-tokens.ts) and read by FTS5's `ascii` tokenizer. Contentless (the
 * text lives in `entries.json` already) and `detail=none` (no positions): it only narrows a search to
 * candidate rows, and every candidate is confirmed by `matchEntry`, so the index may over-match but
 * never under-match. One index row per **piece**, not per entry: the entries of one commit that share
 * a block of `SEARCH_BLOCK` seqs (`seq >> SEARCH_BLOCK_BITS`) within one stream. A candidate piece
 * stands for the entries of its block up to the piece's last entry (`candidateRanges`), which covers
 * the piece (and earlier pieces of the block: more candidates, no loss). Per piece, a trigram shared
 * by its entries (`get`, `api`, a level, a source) is tokenized and posted once, and FTS5 writes one
 * docsize row instead of 32: at ingest this is the index's main cost.
 *
 * **Dense rowids.** An index row's rowid is a store-wide piece number, ascending with every piece
 * written, and `search_pieces` maps it to the entry rowid (`key << 43 | seq`) of the piece's last
 * entry. FTS5 stores a doclist as rowid deltas: keyed by entry rowids, a delta between pieces of two
 * streams took 7 bytes and the index of 2,000 streams was 3–4× the index of the same entries in one
 * (bench/README.md, "Dense search index rowids"). Within a stream piece numbers rise with seqs, so a
 * stream's pieces in seq order are its index rows in rowid order; a read bounds the FTS query by the
 * stream's first and last piece of the window and drops other streams' pieces by the map.
 *
 * Rows go in after the group commit that stored their entries (see DeferredIndex), and leave with the
 * piece's last entry (`deleteIndexRange`, run wherever entries are deleted): every delete of entries
 * removes a prefix of a stream's seqs (retention, purge), so by then the piece's other entries are
 * gone too, and a piece whose last entry remains still covers every remaining entry of it.
 * A file indexed before dense rowids (FTS rowid = entry rowid, no `search_pieces`) is rebuilt on open.
 * @see ../../../../docs/reference/query-language.md
 */
const INDEX_DDL = `
CREATE VIRTUAL TABLE IF NOT EXISTS entries_fts USING fts5(
  text, tokenize = 'ascii', content = '', contentless_delete = 1, detail = 'none'
);
CREATE TABLE IF NOT EXISTS search_pieces (piece INTEGER PRIMARY KEY, entry INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS search_pieces_entry ON search_pieces (entry);
CREATE TABLE IF NOT EXISTS search_layout (layout INTEGER NOT NULL);
`;

/** Drops the index in any layout (the first deleted its rows by a trigger on entries). */
const DROP_DDL =
  'DROP TRIGGER IF EXISTS entries_fts_delete; DROP TABLE IF EXISTS entries_fts; DROP TABLE IF EXISTS search_pieces; DROP TABLE IF EXISTS search_layout;';

/** Maps a new piece (its number is the new rowid) to its last entry, rowid `(@key << 43) | @seq`; run before `INSERT_INDEX_ROW`. */
export const INSERT_PIECE = `INSERT INTO search_pieces (entry) VALUES (((? << ${SEQ_BITS}) | ?))`;
/** The last seq of stream `?` (given twice) with index rows, NULL when none: rows follow their commit (see DeferredIndex). */
export const INDEXED_UP_TO = `SELECT MAX(entry) & ${SEQ_MASK} FROM search_pieces WHERE entry > (? << ${SEQ_BITS}) AND entry <= ((? << ${SEQ_BITS}) | ${SEQ_MASK})`;
/** The index row of a piece: its number (INSERT_PIECE's rowid) and its text. */
export const INSERT_INDEX_ROW = 'INSERT INTO entries_fts (rowid, text) VALUES (?, ?)';
/** The pieces whose last entry lies in stream `@key`, seqs `(@from, @to]`. */
const PIECES_IN_RANGE = `SELECT piece FROM search_pieces WHERE entry > ((@key << ${SEQ_BITS}) | @from) AND entry <= ((@key << ${SEQ_BITS}) | @to)`;
/**
 * Statements removing the index rows of the entries of stream `@key`, seqs `(@from, @to]`: run with
 * every delete of those entries, in its transaction (a bulk delete by range, where a trigger would
 * look up every deleted entry).
 */
export const DELETE_INDEX_RANGE = [
  `DELETE FROM entries_fts WHERE rowid IN (${PIECES_IN_RANGE})`,
  `DELETE FROM search_pieces WHERE entry > ((@key << ${SEQ_BITS}) | @from) AND entry <= ((@key << ${SEQ_BITS}) | @to)`,
] as const;

/**
 * The candidate pieces of stream `@key` whose last entry is at seqs `@low..@high` and whose text
 * satisfies `@match`, as those last seqs, in seq order (`desc`: newest first), at most `@limit`.
 * FTS5 reads the term's doclist between the window's first and last piece (CROSS JOIN keeps it the
 * outer loop, so it also gives the order); pieces of other streams written in between go by the map.
 */
export function candidatePiecesSql(desc: boolean): string {
  const low = `((@key << ${SEQ_BITS}) | @low)`;
  const high = `((@key << ${SEQ_BITS}) | @high)`;
  const bound = (order: string) =>
    `(SELECT piece FROM search_pieces WHERE entry BETWEEN ${low} AND ${high} ORDER BY entry ${order} LIMIT 1)`;
  return `SELECT m.entry & ${SEQ_MASK} FROM entries_fts CROSS JOIN search_pieces AS m ON m.piece = entries_fts.rowid
    WHERE entries_fts MATCH @match AND entries_fts.rowid BETWEEN ${bound('ASC')} AND ${bound('DESC')} AND m.entry BETWEEN ${low} AND ${high}
    ORDER BY entries_fts.rowid ${desc ? 'DESC' : 'ASC'} LIMIT @limit`;
}

/** log2 of the seqs per index block (see above): 32 seqs, chosen by measuring ingest and search (bench/README.md, "Hashed trigrams"). */
export const SEARCH_BLOCK_BITS = 5;
/** Seqs per index block. */
export const SEARCH_BLOCK = 2 ** SEARCH_BLOCK_BITS;

/** The SQL function that confirms a candidate: `livelog_query(json, queryJson)`. */
export const QUERY_FUNCTION = 'livelog_query';
/** The SQL aggregate giving the index text of a piece's entries: `livelog_search_words(json)`. */
const WORDS_FUNCTION = 'livelog_search_words';
/** Most trigrams one term contributes: any subset of a term's trigrams still narrows soundly. */
const MAX_TRIGRAMS_PER_TERM = 12;
const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;
const SQL_OPS: Record<QueryComparison, string> = { '=': '=', '>': '>', '>=': '>=', '<': '<', '<=': '<=' };

/** The seqs keying the index rows of one commit of seqs `first..last` in one stream: each block's last seq in it. */
export function pieceKeys(first: number, last: number): number[] {
  const keys: number[] = [];
  for (let seq = first; seq <= last; seq = seq - (seq % SEARCH_BLOCK) + SEARCH_BLOCK) {
    keys.push(Math.min(last, seq - (seq % SEARCH_BLOCK) + SEARCH_BLOCK - 1));
  }
  return keys;
}

/**
 * The entries a candidate piece stands for, as seq ranges within `[low, high]`: the piece keyed by
 * seq `last` covers its block's seqs up to `last`. `lasts` in any order; the ranges come back
 * ascending, merged where they overlap or touch (pieces of one block, neighbouring blocks), so that
 * each entry is read once.
 */
export function candidateRanges(lasts: readonly number[], low: number, high: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (const last of [...lasts].sort((a, b) => a - b)) {
    const from = Math.max(low, last - (last % SEARCH_BLOCK));
    const to = Math.min(high, last);
    if (from > to) continue;
    const previous = ranges.at(-1);
    if (previous !== undefined && from <= previous[1] + 1) previous[1] = Math.max(previous[1], to);
    else ranges.push([from, to]);
  }
  return ranges;
}

/** What `prepareSearchIndex` did. */
export type SearchIndexChange = 'none' | 'created' | 'rebuilt' | 'dropped';

/**
 * The layout an index was written in, kept in `search_layout`: it changes with the words
 * (search-tokens.ts) and with `SEARCH_BLOCK_BITS` (pieces of another block size would be read wrong).
 * Files without the table hold one of the earlier layouts (FTS5's own trigrams, with or without dense
 * rowids).
 */
const LAYOUT = 2_000 + SEARCH_BLOCK_BITS;

/**
 * Creates the index (and fills it from the stored entries: the migration of a file written before
 * it existed), rebuilds an index of another layout (`rebuilt`: the reads no longer understand it),
 * or, when `enabled` is false, drops it so that it cannot go stale. In the caller's transaction, on
 * the writer connection.
 */
export function prepareSearchIndex(db: Database.Database, enabled: boolean): SearchIndexChange {
  const exists = hasSearchIndex(db);
  if (!enabled) {
    if (!exists) return 'none';
    db.exec(DROP_DDL);
    return 'dropped';
  }
  if (exists && layoutOf(db) === LAYOUT) return 'none';
  if (exists) db.exec(DROP_DDL);
  db.exec(INDEX_DDL);
  db.prepare('INSERT INTO search_layout (layout) VALUES (?)').run(LAYOUT);
  db.aggregate(WORDS_FUNCTION, {
    start: () => new PieceWords(),
    step: (words: PieceWords, json: unknown) => {
      words.add(String(json));
    },
    result: (words: PieceWords) => words.take(),
  });
  // One piece per block of each stream (seq >> SEARCH_BLOCK_BITS spans the stream key too), keyed by
  // its last entry and numbered in entry order, so that each stream's pieces rise with its seqs.
  db.exec(`INSERT INTO search_pieces (entry) SELECT MAX(seq) FROM entries GROUP BY seq >> ${SEARCH_BLOCK_BITS} ORDER BY 1`);
  db.exec(
    `INSERT INTO entries_fts (rowid, text) SELECT piece, (SELECT ${WORDS_FUNCTION}(json) FROM entries
     WHERE seq BETWEEN ((entry >> ${SEARCH_BLOCK_BITS}) << ${SEARCH_BLOCK_BITS}) AND entry) FROM search_pieces ORDER BY piece`,
  );
  return exists ? 'rebuilt' : 'created';
}

function layoutOf(db: Database.Database): number | undefined {
  if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'search_layout'").get() === undefined) return undefined;
  const row = db.prepare('SELECT layout FROM search_layout').get() as { layout: number } | undefined;
  return row?.layout;
}

/** True when the database holds the search index. */
export function hasSearchIndex(db: Database.Database): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'entries_fts'").get() !== undefined;
}

/**
 * Registers `livelog_query(json, queryJson)` on a reading connection. Before parsing a row it checks
 * `requiredNeedles` on the raw JSON: a row lacking one cannot match, and with pieces the index hands
 * over every row of a candidate block (a common term: every row), so most rows stop there.
 */
export function registerQueryFunction(db: Database.Database): void {
  let lastText = '';
  let lastNode: QueryNode = { type: 'all' };
  let needles: string[] = [];
  db.function(QUERY_FUNCTION, { deterministic: true }, (json: unknown, queryJson: unknown) => {
    const text = String(queryJson);
    if (text !== lastText) {
      lastNode = JSON.parse(text) as QueryNode;
      needles = requiredNeedles(lastNode);
      lastText = text;
    }
    const stored = String(json);
    if (needles.length > 0) {
      const lower = stored.toLowerCase();
      if (!needles.every((needle) => lower.includes(needle))) return 0;
    }
    return matchEntry(lastNode, JSON.parse(stored) as LogEntry) ? 1 : 0;
  });
}

/** Printable ASCII but `"` and `\`: characters that JSON.stringify writes as they are, and that no other character lower-cases to. */
const PLAIN_ASCII = /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * Lower-cased strings that the lower-cased stored JSON of every entry matching `node` contains: the
 * positive terms of a top-level AND that are plain ASCII. Sound because the stored JSON is
 * JSON.stringify's, which writes every searchable part (strings as they are but for escapes of `"`,
 * `\`, control characters and lone surrogates; numbers, booleans and null as `String` does), and a
 * plain-ASCII needle inside a lower-cased part lies within unescaped characters, whose lower case does
 * not depend on their neighbours (only Greek sigma's does, and it is not ASCII). Numbers compared by
 * value (`n:1e3` matches 1000) require nothing.
 */
export function requiredNeedles(node: QueryNode): string[] {
  switch (node.type) {
    case 'text':
    case 'property':
      return plainNeedle(node.value);
    case 'field':
      return node.op === '=' && !NUMBER.test(node.value) ? plainNeedle(node.value) : [];
    case 'and':
      return node.children.flatMap(requiredNeedles);
    default:
      return [];
  }
}

function plainNeedle(value: string): string[] {
  return PLAIN_ASCII.test(value) ? [value.toLowerCase()] : [];
}

/** How a query runs on the SQLite store. */
export interface SearchPlan {
  /** An FTS5 MATCH expression every matching entry satisfies, when the query has a narrowing term. */
  match: string | undefined;
  /** SQL conditions on the `level` column every matching entry satisfies, with their parameters. */
  levelSql: string[];
  levelParams: number[];
  /** The query as JSON, for `livelog_query`, which confirms each candidate. */
  queryJson: string;
}

/** Compiles a query for the SQLite store; `indexed` false when the database has no search index. */
export function planSearch(query: QueryNode, indexed: boolean): SearchPlan {
  const levelSql: string[] = [];
  const levelParams: number[] = [];
  for (const node of query.type === 'and' ? query.children : [query]) {
    if (node.type !== 'level') continue;
    levelSql.push(`level ${SQL_OPS[node.op]} ?`);
    levelParams.push(LEVELS[node.level]);
  }
  return { match: indexed ? narrow(query) : undefined, levelSql, levelParams, queryJson: JSON.stringify(query) };
}

/**
 * An FTS5 expression that every entry matching `node` satisfies, or undefined when the node cannot
 * narrow (short terms, negations, comparisons, an OR with such a branch). A term of n ≥ 3 code
 * points requires its trigrams; as the index keeps no positions, not their order: the confirmation
 * by `matchEntry` does that.
 */
export function narrow(node: QueryNode): string | undefined {
  switch (node.type) {
    case 'text':
    case 'property':
      return trigramsOf(node.value);
    case 'field': {
      if (node.op !== '=') return undefined;
      // A number leaf matches by value: its indexed text is the canonical form, which may not be the query's.
      if (NUMBER.test(node.value) && String(Number(node.value)) !== node.value.toLowerCase()) return undefined;
      return trigramsOf(node.value);
    }
    case 'and': {
      const parts = node.children.map(narrow).filter((part): part is string => part !== undefined);
      return parts.length === 0 ? undefined : parts.map((part) => `(${part})`).join(' AND ');
    }
    case 'or': {
      const parts = node.children.map(narrow);
      return parts.some((part) => part === undefined) ? undefined : parts.map((part) => `(${part})`).join(' OR ');
    }
    default:
      return undefined;
  }
}

function trigramsOf(value: string): string | undefined {
  let words = queryWords(value);
  if (words.length === 0) return undefined;
  if (words.length > MAX_TRIGRAMS_PER_TERM) {
    const step = words.length / MAX_TRIGRAMS_PER_TERM;
    words = Array.from({ length: MAX_TRIGRAMS_PER_TERM }, (_, i) => words[Math.floor(i * step)] as number);
  }
  return words.map((word) => `"${spell(word)}"`).join(' AND ');
}
