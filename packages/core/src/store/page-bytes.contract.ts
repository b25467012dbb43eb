import { afterEach, describe, expect, it } from 'vitest';
import type { NewEntry } from '../entry/new-entry.js';
import { PAGE_UNITS } from './chunked-scan.js';
import type { StoreFactory, StoreUnderTest } from './log-store.contract.js';
import type { BasicLogStore, ReadPage, ReadQuery, StoredEntry } from './log-store.js';
import { readAround } from './time-navigation.js';

/**
 * History pages are bounded by the bytes of their entries, not only by `limit`: 1,000 entries near
 * the line limit made one page a 1 GiB reply (210 of 900 KB: 190 MB, `/healthz` held 4.6 s). Every
 * store ends a page after the entry that reaches PAGE_UNITS of JSON, with `hasMore`; following the
 * pages returns every entry once, in order. The stream: 2 entries larger than a page, then 18 of
 * 300,000 characters (14 of them reach a page).
 */
const SMALL = 300_000;
const BIG = PAGE_UNITS + 10_000;
const COUNT = 20;

function entries(): NewEntry[] {
  return Array.from({ length: COUNT }, (_, i) => ({
    time: 1_732_780_000_000 + i,
    level: 'info',
    source: 'api',
    msg: `entry ${i + 1}`,
    fields: { pad: 'x'.repeat(i < 2 ? BIG : SMALL) },
  }));
}

/** Every page of a read from the start (forward) or the newest (backward), followed by its resume position. */
async function allPages(store: BasicLogStore, first: ReadQuery): Promise<number[][]> {
  const pages: number[][] = [];
  let query = first;
  for (let reads = 0; reads < 50; reads++) {
    const page: ReadPage = await store.read(query);
    pages.push(page.entries.map((entry) => entry.seq));
    const units = page.entries.reduce((sum, entry) => sum + entry.json.length, 0);
    const lastIn = page.entries.at(query.direction === 'backward' ? 0 : -1) as StoredEntry;
    // At most one entry past the budget: the one that reached it.
    expect(units - lastIn.json.length).toBeLessThan(PAGE_UNITS);
    if (!page.hasMore) return pages;
    const resume = page.resume ?? lastIn.seq;
    query = query.direction === 'backward' ? { ...first, before: resume } : { ...first, after: resume };
  }
  throw new Error('the pages never ended');
}

export function describePageBytes(name: string, factory: StoreFactory): void {
  describe(`history pages by bytes: ${name}`, () => {
    const open: StoreUnderTest[] = [];
    afterEach(async () => {
      for (const made of open.splice(0)) {
        await made.store.close().catch(() => undefined);
        await made.cleanup?.();
      }
    });
    const make = async (): Promise<BasicLogStore> => {
      const made = await factory();
      await made.store.open();
      open.push(made);
      await made.store.append(entries());
      return made.store;
    };
    const all = Array.from({ length: COUNT }, (_, i) => i + 1);

    it('ends a page of large entries early, and its pages return every entry once', async () => {
      const store = await make();
      // An entry larger than a page comes alone; then as many as reach PAGE_UNITS.
      const forward = await allPages(store, { limit: 1000, direction: 'forward' });
      expect(forward.slice(0, 4)).toEqual([[1], [2], all.slice(2, 16), all.slice(16)]);
      expect(forward.flat()).toEqual(all);
      const filtered = await allPages(store, { limit: 1000, direction: 'forward', filter: { sources: ['api'] } });
      expect(filtered.flat()).toEqual(all);
      const backward = await allPages(store, { limit: 1000, direction: 'backward' });
      expect(backward[0]).toEqual(all.slice(6));
      expect(backward.reverse().flat()).toEqual(all);
    });

    it('bounds each side of a context by a page', async () => {
      const store = await make();
      const around = await readAround(store, 3, 1000, 1000);
      expect(around?.entries.map((entry) => entry.seq)).toEqual(all.slice(1, 17));
      expect(around?.hasBefore).toBe(true);
      expect(around?.hasAfter).toBe(true);
      const tail = await readAround(store, 19, 1000, 1000);
      expect(tail?.entries.map((entry) => entry.seq)).toEqual(all.slice(4));
      expect(tail).toMatchObject({ hasBefore: true, hasAfter: false });
    });
  });
}
