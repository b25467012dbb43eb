import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NewEntry } from '../entry/new-entry.js';
import { MemoryStore } from '../store/memory-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { createEngine } from './create-engine.js';

const lines = (count: number): NewEntry[] =>
  Array.from({ length: count }, (_, i) => ({ time: 1, level: 'info', source: 's', msg: `m${i}` }));

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('createEngine', () => {
  it('opens the store, starts the broker and closes the store on stop', async () => {
    const store = new MemoryStore();
    const engine = await createEngine({ store });
    expect(engine.store).toBe(store);
    await store.append(lines(3));
    expect(engine.broker.head).toBe(3);
    await engine.stop();
    await expect(store.append(lines(1))).rejects.toMatchObject({ code: 'LIVELOG_ERR_STORE_CLOSED' });
    // A second stop is the same stop.
    await engine.stop();
  });

  it('prunes by the retention policy and tells the log', async () => {
    const pruned: unknown[] = [];
    const engine = await createEngine({
      store: new MemoryStore(),
      retention: { maxEntries: 4 },
      log: { debug: (details, message) => pruned.push({ details, message }) },
    });
    try {
      expect(engine.pruner.active).toBe(true);
      await engine.store.append(lines(10));
      await engine.pruner.runOnce();
      expect(await engine.store.bounds()).toEqual({ first: 7, last: 10 });
      await until(() => pruned.length > 0, 'the debug line');
      expect(pruned).toEqual([{ details: { removed: 6 }, message: 'retention pruned entries' }]);
    } finally {
      await engine.stop();
    }
  });

  it('fails with the store error when the store cannot open', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'livelog-engine-'));
    const holder = new SqliteStore({ dir });
    await holder.open();
    try {
      await expect(createEngine({ store: new SqliteStore({ dir }) })).rejects.toMatchObject({ code: 'LIVELOG_ERR_STORE_LOCKED' });
    } finally {
      await holder.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
