import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogEntry } from '@livelog/protocol';
import { describe, expect, it } from 'vitest';
import { describeLogDatabase } from './log-database.contract.js';
import { SqliteDatabase } from './sqlite-database.js';

describeLogDatabase(
  'sqlite',
  async (options) => {
    const dir = await mkdtemp(join(tmpdir(), 'livelog-sqlite-db-'));
    return {
      database: new SqliteDatabase({ dir, ...options }),
      reopen: async () => new SqliteDatabase({ dir, ...options }),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
  { persistent: true },
);

describe('SqliteDatabase', () => {
  it('opens a database written by the single-stream release as stream default, without rewriting it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'livelog-sqlite-v1-'));
    // Made by the single-stream SqliteStore: entries 1..5 (api 1-3 with Idempotency-Key v1-key, worker 4-5), 1 pruned.
    await copyFile(new URL('../../test-fixtures/v1-livelog.db', import.meta.url), join(dir, 'livelog.db'));
    try {
      for (let pass = 0; pass < 2; pass++) {
        const database = new SqliteDatabase({ dir });
        await database.open();
        const store = await database.stream('default');
        if (store === undefined) throw new Error('no default stream');
        expect(store.streamId).toBe('a9f8rmb0kv');
        const entries = (await store.readAfter(0, 100)).map((row) => JSON.parse(row.json) as LogEntry);
        expect(entries.slice(0, 4).map((entry) => [entry.id, entry.msg])).toEqual(
          [2, 3, 4, 5].map((seq) => [`a9f8rmb0kv:${seq}`, `v1 line ${seq}`]),
        );
        expect((await store.sources()).map((source) => [source.name, source.lastSeq])).toEqual([
          ['api', pass === 0 ? 3 : 6],
          ['worker', 5],
        ]);
        expect(await store.seqBeforeTime(1_732_780_000_004)).toBe(3);
        if (pass === 0) {
          expect(await store.info()).toMatchObject({ name: 'default', first: 2, last: 5, entries: 4, state: 'open' });
          // The v1 idempotency key still answers its batch; new writes continue the sequence.
          expect(
            await store.append([{ time: 1, level: 'info', source: 'api', msg: 'v1 line 1' }], {
              idempotencyKey: 'v1-key',
              bodyDigest: 'd1',
            }),
          ).toEqual({
            firstSeq: 1,
            lastSeq: 3,
            replayed: true,
          });
          expect(await store.append([{ time: 1, level: 'info', source: 'api', msg: 'v2 line 6' }])).toMatchObject({ firstSeq: 6 });
          const other = await database.openStream('other');
          expect(await other.append([{ time: 1, level: 'info', source: 'api', msg: 'first' }])).toMatchObject({ firstSeq: 1 });
        } else {
          expect(await store.bounds()).toEqual({ first: 2, last: 6 });
          expect(((await database.stream('other')) as { streamId: string }).streamId).not.toBe('a9f8rmb0kv');
          expect((await database.list({ limit: 10 })).streams.map((info) => [info.name, info.last])).toEqual([
            ['default', 6],
            ['other', 1],
          ]);
        }
        await database.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('commits appends to many streams in one transaction', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'livelog-sqlite-db-'));
    const database = new SqliteDatabase({ dir });
    await database.open();
    try {
      const stores = await Promise.all(Array.from({ length: 200 }, (_, i) => database.openStream(`s-${i}`)));
      const before = database.stats.commits;
      const results = await Promise.all(stores.map((store) => store.append([{ time: 1, level: 'info', source: 'x', msg: store.name }])));
      expect(results.every((result) => result.firstSeq === 1 && result.lastSeq === 1)).toBe(true);
      expect(database.stats.commits - before).toBe(1);
    } finally {
      await database.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
