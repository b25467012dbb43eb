import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseQuery } from '@livelog/protocol';
import { describe, expect, it } from 'vitest';
import { describeBroker } from '../broker/broker.contract.js';
import { PageCache } from '../broker/page-cache.js';
import type { EntryFilter } from '../entry/entry-filter.js';
import { describeLogStore, type StoreUnderTest } from './log-store.contract.js';
import { type ReadPage, resumeOf } from './log-store.js';
import { describePageBytes } from './page-bytes.contract.js';
import { SqliteStore } from './sqlite-store.js';

const sqlite = async (): Promise<StoreUnderTest> => {
  const dir = await mkdtemp(join(tmpdir(), 'livelog-sqlite-'));
  return {
    store: new SqliteStore({ dir }),
    reopen: async () => new SqliteStore({ dir }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
};

describeLogStore('sqlite', sqlite, { persistent: true });
describePageBytes('sqlite', sqlite);
describeBroker('sqlite', sqlite);
// Pages of 7 entries in a cache of a few pages: page seams, shared reads and evictions under the contract.
describeBroker('sqlite, page cache', sqlite, () => ({ pageCache: new PageCache({ pageSize: 7, maxBytes: 8 * 1024 }) }));

describe('SqliteStore', () => {
  it('refuses a second store on a directory another one holds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'livelog-sqlite-'));
    const first = new SqliteStore({ dir });
    await first.open();
    try {
      await expect(new SqliteStore({ dir }).open()).rejects.toMatchObject({ code: 'LIVELOG_ERR_STORE_LOCKED' });
    } finally {
      await first.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('pages filtered history by resume to every match exactly once when each read stops after one window', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'livelog-sqlite-'));
    // maxMs 0: every read answers after its first window, the worst case of a busy server.
    const store = new SqliteStore({ dir, scanBudget: { chunkRows: 97, maxMs: 0 } });
    await store.open();
    try {
      const levels = ['debug', 'info', 'warn', 'error'] as const;
      await store.append(
        Array.from({ length: 3000 }, (_, i) => ({
          time: 1,
          level: levels[i % 4] as (typeof levels)[number],
          source: i % 3 === 0 ? 'db' : 'web',
          msg: i % 50 === 0 ? `Disk FULL ${i}` : `ok ${i}`,
        })),
      );
      const all = Array.from({ length: 3000 }, (_, i) => i + 1);
      const cases: [EntryFilter, (seq: number) => boolean][] = [
        [{ level: 'error' }, (seq) => (seq - 1) % 4 === 3],
        [{ sources: ['db'] }, (seq) => (seq - 1) % 3 === 0],
        [{ query: parseQuery('full') }, (seq) => (seq - 1) % 50 === 0],
        [
          { query: parseQuery('full'), sources: ['db'], level: 'warn' },
          (seq) => (seq - 1) % 50 === 0 && (seq - 1) % 3 === 0 && (seq - 1) % 4 >= 2,
        ],
      ];
      for (const [filter, matches] of cases) {
        const expected = all.filter(matches);
        const forward: number[] = [];
        let after: number | undefined = 0;
        while (after !== undefined) {
          const page: ReadPage = await store.read({ after, limit: 7, filter });
          forward.push(...page.entries.map((entry) => entry.seq));
          after = resumeOf(page, 'forward');
        }
        expect(forward).toEqual(expected);
        const backward: number[] = [];
        let before: number | undefined = 3001;
        while (before !== undefined) {
          const page: ReadPage = await store.read({ before, direction: 'backward', limit: 7, filter });
          backward.unshift(...page.entries.map((entry) => entry.seq));
          before = resumeOf(page, 'backward');
        }
        expect(backward).toEqual(expected);
      }
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('commits the appends of one event-loop turn in one transaction', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'livelog-sqlite-'));
    const store = new SqliteStore({ dir });
    await store.open();
    const notifications: number[] = [];
    store.onAppend((entries) => notifications.push(entries.length));
    const batch = [{ time: 1, level: 'info' as const, source: 's', msg: 'm' }];
    await Promise.all(Array.from({ length: 50 }, () => store.append(batch)));
    expect(notifications).toEqual([50]);
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
});
