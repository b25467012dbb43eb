import { parseQuery, type QueryNode } from '@livelog/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreFactory, StoreUnderTest } from './log-store.contract.js';
import { type BasicLogStore, type ReadQuery, resumeOf } from './log-store.js';
import { SEARCH_CORPUS, SEARCH_TABLE } from './search-table.js';

/** How `describeSearch` reads. */
export interface SearchContractOptions {
  /**
   * Page sizes every row is read with, forward and backward: small ones make a store page and resume
   * inside its matches. Default `[1, 4, 1000]`.
   */
  pageSizes?: readonly number[];
}

/** Most reads one search may take: a store that never stops paging fails instead of hanging. */
const MAX_READS = 10_000;

/**
 * Every page of `node` in `direction`, by `resume`, concatenated in seq order. Checks what every page
 * promises on the way: ascending, within the limit, inside the range asked for.
 */
export async function readAllMatches(
  store: BasicLogStore,
  node: QueryNode,
  direction: 'forward' | 'backward',
  limit: number,
): Promise<number[]> {
  const pages: number[][] = [];
  let position: number | undefined = direction === 'forward' ? 0 : Number.MAX_SAFE_INTEGER;
  for (let reads = 0; position !== undefined; reads++) {
    if (reads === MAX_READS) throw new Error(`still paging after ${MAX_READS} reads`);
    const request: ReadQuery =
      direction === 'forward'
        ? { after: position, limit, filter: { query: node } }
        : { before: position, limit, direction, filter: { query: node } };
    const page = await store.read(request);
    const seqs = page.entries.map((entry) => entry.seq);
    expect(seqs.length).toBeLessThanOrEqual(limit);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    if (direction === 'forward') expect(seqs.every((seq) => seq > (position as number))).toBe(true);
    else expect(seqs.every((seq) => seq < (position as number))).toBe(true);
    pages.push(seqs);
    position = resumeOf(page, direction);
  }
  // A backward read finds the newest page first.
  return (direction === 'forward' ? pages : pages.reverse()).flat();
}

/**
 * The query language's conformance table (search-table.ts) against one store: the corpus is appended
 * to a fresh store, then every row is read in full, forward and backward, at every page size, and
 * must find exactly the row's seqs. Same `StoreFactory` as `describeLogStore`.
 * @see ../../../../docs/reference/query-language.md
 */
export function describeSearch(name: string, factory: StoreFactory, options: SearchContractOptions = {}): void {
  const pageSizes = options.pageSizes ?? [1, 4, 1000];
  describe(`search contract: ${name}`, () => {
    let made: StoreUnderTest;
    beforeAll(async () => {
      made = await factory();
      await made.store.open();
      // Three batches of unequal size, so that rows of one answer come from several commits.
      for (const [from, to] of [
        [0, 7],
        [7, 31],
        [31, SEARCH_CORPUS.length],
      ] as const) {
        await made.store.append(SEARCH_CORPUS.slice(from, to));
      }
      expect(await made.store.bounds()).toEqual({ first: 1, last: SEARCH_CORPUS.length });
    });
    afterAll(async () => {
      await made?.store.close();
      await made?.cleanup?.();
    });

    it.each(SEARCH_TABLE.map((row) => [row.q, row] as const))('q=%j', async (_q, row) => {
      const node = parseQuery(row.q);
      for (const limit of pageSizes) {
        for (const direction of ['forward', 'backward'] as const) {
          expect(await readAllMatches(made.store, node, direction, limit), `${direction}, pages of ${limit}`).toEqual(row.seqs);
        }
      }
    });
  });
}
