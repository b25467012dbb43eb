import type { HistoryPage } from '@livelog/protocol';
import { getJson, type SpawnedServer, spawnServer, tempDir } from '@livelog/test-utils';

/**
 * `livelog serve --store <redisUrl>/0?key=<key>` as a child process, on `port` when given (to bring
 * a killed instance back on its address), with more flags in `args`. `cleanups` receives its kill -9 and data removal.
 */
export async function startInstance(
  redisUrl: string,
  key: string,
  cleanups: (() => Promise<void>)[],
  port?: number,
  args: string[] = [],
): Promise<SpawnedServer> {
  const dir = await tempDir('livelog-redis-e2e-');
  const server = await spawnServer({
    dataDir: dir.path,
    ...(port === undefined ? {} : { port }),
    args: ['--store', `${redisUrl}/0?key=${key}`, ...args],
  });
  cleanups.push(async () => {
    await server.kill('SIGKILL');
    await dir.remove();
  });
  return server;
}

/** Every entry of the stream through one instance's history API, as seqs. */
export async function historySeqs(base: string): Promise<number[]> {
  const seqs: number[] = [];
  let query = 'from=start';
  for (;;) {
    const { status, body } = await getJson<HistoryPage>(base, `/api/logs?${query}&limit=1000`);
    if (status !== 200) throw new Error(`history answered ${status}`);
    seqs.push(...body.entries.map((entry) => entry.seq));
    const last = body.entries[body.entries.length - 1];
    if (!body.hasMore || last === undefined) return seqs;
    query = `after=${encodeURIComponent(last.id)}`;
  }
}

/** The HTTP status of `/readyz`. */
export async function readyStatus(base: string): Promise<number> {
  return (await fetch(`${base}/readyz`)).status;
}
