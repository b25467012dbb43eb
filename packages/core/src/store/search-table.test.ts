import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LogEntry, matchEntry, parseQuery, QuerySyntaxError } from '@livelog/protocol';
import { describe, expect, it } from 'vitest';
import type { StoreUnderTest } from './log-store.contract.js';
import { MemoryStore } from './memory-store.js';
import { describeSearch } from './search.contract.js';
import { SEARCH_CORPUS, SEARCH_ERRORS, SEARCH_TABLE } from './search-table.js';
import { narrow } from './sqlite-search.js';
import { SqliteStore } from './sqlite-store.js';

// Issue 13: one table of queries, every executor. The matcher is checked against the hand-written
// expectations first, so the stores below are checked against the reference, not against it.
describe('search table: the matcher (live path)', () => {
  it('has at least 100 rows, each with unique query text', () => {
    expect(SEARCH_TABLE.length).toBeGreaterThanOrEqual(100);
    expect(new Set(SEARCH_TABLE.map((row) => row.q)).size).toBe(SEARCH_TABLE.length);
  });

  it.each(SEARCH_TABLE.map((row) => [row.q, row] as const))('q=%j', (_q, row) => {
    const node = parseQuery(row.q);
    const found = SEARCH_CORPUS.flatMap((entry, i) => (matchEntry(node, entry) ? [i + 1] : []));
    expect(found, row.why).toEqual(row.seqs);
  });

  it.each(SEARCH_ERRORS.map((row) => [row.q.length > 60 ? `${row.q.slice(0, 40)}… (${row.q.length} chars)` : row.q, row] as const))(
    'refuses %j',
    (_q, row) => {
      let caught: unknown;
      try {
        parseQuery(row.q);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(QuerySyntaxError);
      expect((caught as QuerySyntaxError).message).toMatch(row.message);
      expect((caught as QuerySyntaxError).position).toBe(row.position);
    },
  );

  it('narrows most rows with the SQLite index, so the indexed runs below exercise it', () => {
    const narrowed = SEARCH_TABLE.filter((row) => narrow(parseQuery(row.q)) !== undefined);
    expect(narrowed.length).toBeGreaterThan(SEARCH_TABLE.length / 2);
  });
});

describe('search table: the examples of docs/reference/query-language.md', () => {
  it('match their documented entry as the table says', async () => {
    const doc = await readFile(new URL('../../../../docs/reference/query-language.md', import.meta.url), 'utf8');
    const examples = doc.slice(doc.indexOf('## Examples'), doc.indexOf('## How it runs'));
    const entry = JSON.parse(/On the entry `([^`]+)`/s.exec(examples)?.[1]?.replaceAll('\n', '') ?? 'null') as LogEntry;
    let rows = 0;
    for (const [, queries, answer] of examples.matchAll(/^\| (`.+?`) \| (yes|no) \|/gm)) {
      for (const [, q] of (queries as string).matchAll(/`([^`]+)`/g)) {
        expect(matchEntry(parseQuery(q as string), entry), q).toBe(answer === 'yes');
        rows++;
      }
    }
    expect(rows).toBeGreaterThan(30);
  });
});

const sqlite = (searchIndex: boolean) => async (): Promise<StoreUnderTest> => {
  const dir = await mkdtemp(join(tmpdir(), 'livelog-search-table-'));
  // Windows of 3 seqs: a filtered read stops after few rows and resumes, inside the matches.
  return {
    store: new SqliteStore({ dir, searchIndex, scanBudget: { chunkRows: 3 } }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
};

describeSearch('memory', async () => ({ store: new MemoryStore() }));
describeSearch('sqlite, search index on', sqlite(true));
describeSearch('sqlite, search index off', sqlite(false));
