import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeBroker } from '../broker/broker.contract.js';
import { describeLogStore, type StoreUnderTest } from './log-store.contract.js';
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
describeBroker('sqlite', sqlite);

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
