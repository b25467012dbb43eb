import { SqliteStore } from '@livelog/core';
import { type SpawnedServer, spawnServer } from '@livelog/test-utils';

/**
 * Writes `count` entries into a fresh SQLite store in `dir` through the store itself (a real file,
 * filled in about a second, not over HTTP), then serves it with a ring of 1,000 entries: nearly every
 * reader behind the head catches up from store pages, which is what the catch-up tests are about.
 * Resolves to the server and the default stream's id.
 */
export async function prefilledServer(
  dir: string,
  count: number,
  msg: (seq: number) => string,
): Promise<{ server: SpawnedServer; stream: string }> {
  const store = new SqliteStore({ dir });
  await store.open();
  const stream = store.streamId;
  const now = Date.now();
  for (let first = 1; first <= count; first += 10_000) {
    const size = Math.min(10_000, count - first + 1);
    await store.append(Array.from({ length: size }, (_, i) => ({ time: now, level: 'info' as const, source: 't', msg: msg(first + i) })));
  }
  await store.close();
  return { server: await serveFilled(dir), stream };
}

/** Serves a store `prefilledServer` filled (again, after its server was killed), with `args` besides. */
export function serveFilled(dir: string, args: readonly string[] = []): Promise<SpawnedServer> {
  return spawnServer({ dataDir: dir, logLevel: 'warn', args: ['--ring-entries', '1000', ...args] });
}
