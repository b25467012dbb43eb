import { afterEach, describe, expect, it } from 'vitest';
import { checkSeqs, runIsolation } from './support/isolation.js';
import { dropPrefix, REDIS_URL, uniqueKey } from './support/redis-server.js';

/**
 * Issue 10's isolation test on one Redis, through the engine API of two engines with their own
 * connections (the HTTP routes of named streams live in branch streams-server; the same run through
 * two `livelog serve` processes is to follow once they are merged).
 */
describe('50 streams on one Redis through two engines (two processes’ worth of connections)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  it('the checker catches a planted fault', () => {
    expect(checkSeqs([1, 2, 3], 3)).toEqual({ missing: 0, duplicates: 0, reordered: 0 });
    expect(checkSeqs([1, 3, 2, 2], 4)).toEqual({ missing: 1, duplicates: 1, reordered: 1 });
  });

  it('every reader, cut at random and moved between engines, gets exactly its stream’s entries once, in order, then its end', async () => {
    const prefix = uniqueKey('isolation');
    cleanups.push(() => dropPrefix(prefix));
    const { entries } = await runIsolation({ url: `${REDIS_URL}?key=${prefix}`, streams: 50, writers: 10, batchesPerWriter: 40, cleanups });
    expect(entries).toBeGreaterThan(400);
  }, 180_000);
});
