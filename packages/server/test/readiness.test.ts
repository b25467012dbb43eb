import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogEntry } from '@livelog/protocol';
import { getJson, ndjson, postLogs, startServer, type TestServer, tempDir } from '@livelog/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

interface Readiness {
  status: string;
  disk: string;
  reason?: string;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(input: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const server = await startServer(input);
  cleanups.push(() => server.close());
  return server;
}

// Regression (issue 11, item 10): /readyz said "ready" while every commit failed on a full disk.
describe('/readyz and the disk', () => {
  it('is not ready while free space in the data directory is below --min-free-space, and says why', async () => {
    const low = await started({ minFreeSpace: '1000TiB' });
    const answer = await getJson<Readiness>(low.url, '/readyz');
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ status: 'unavailable', disk: 'low' });
    expect(answer.body.reason).toMatch(/free .* below --min-free-space/);
    const fine = await started({ minFreeSpace: '0' });
    expect(await getJson(fine.url, '/readyz')).toMatchObject({ status: 200, body: { status: 'ready', disk: 'ok' } });
  });

  it('is not ready once a commit failed for lack of space, until the next commit succeeds', async (context) => {
    const disk = await fullDisk(context, '0');
    expect((await getJson<Readiness>(disk.server.url, '/readyz')).status).toBe(503);
    await rm(disk.filler);
    // Space is back, but with the free-space check off only a commit can show the disk takes writes.
    expect(await getJson(disk.server.url, '/readyz')).toMatchObject({ status: 503, body: { disk: 'full' } });
    expect((await postLogs(disk.server.url, ndjson(1, 'after the space came back'))).status).toBe(200);
    expect(await getJson(disk.server.url, '/readyz')).toMatchObject({ status: 200, body: { status: 'ready', disk: 'ok' } });
    // Every batch acknowledged before the disk filled is there, whole.
    const stored = await batchesStored(disk.server);
    expect(disk.acknowledged.length).toBeGreaterThan(0);
    for (const batch of disk.acknowledged) expect(stored.get(batch), batch).toBe(200);
  });

  it('is ready again without a commit once free space is back above --min-free-space', async (context) => {
    const disk = await fullDisk(context, '512KiB');
    await rm(disk.filler);
    expect(await getJson(disk.server.url, '/readyz')).toMatchObject({ status: 200, body: { status: 'ready', disk: 'ok' } });
  });
});

/**
 * A server on a real, small disk (a 3 MiB tmpfs, 1 MiB of it taken by `filler`), fed until a commit
 * fails for lack of space. Mounting needs root; elsewhere the test is skipped, as it cannot be real.
 */
async function fullDisk(
  context: { skip(note?: string): never },
  minFreeSpace: string,
): Promise<{ server: TestServer; filler: string; acknowledged: string[] }> {
  const mount = await tempDir('livelog-full-disk-');
  cleanups.push(() => mount.remove());
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mount.path], { stdio: 'ignore' });
  } catch {
    context.skip('mounting a tmpfs needs root');
  }
  cleanups.push(async () => execFileSync('umount', ['-l', mount.path]));
  const filler = join(mount.path, 'filler');
  await writeFile(filler, Buffer.alloc(1024 * 1024));
  const server = await started({ data: join(mount.path, 'data'), minFreeSpace, retainBytes: 'unlimited', retainAge: 'unlimited' });
  const acknowledged: string[] = [];
  let failure: unknown;
  for (let batch = 1; batch <= 100 && failure === undefined; batch++) {
    const reply = await postLogs(server.url, ndjson(200, `b${batch}-${'x'.repeat(200)}`));
    if (reply.status === 200) acknowledged.push(`b${batch}`);
    else failure = reply.body;
  }
  expect(failure).toMatchObject({ error: { code: 'LIVELOG_ERR_STORE_UNAVAILABLE' } });
  const full = await getJson<Readiness>(server.url, '/readyz');
  expect(full.status).toBe(503);
  expect(full.body).toMatchObject({ status: 'unavailable', disk: 'full' });
  expect(full.body.reason).toContain('SQLITE_FULL');
  return { server, filler, acknowledged };
}

/** How many entries of each batch (`b<n>`) the server holds. */
async function batchesStored(server: TestServer): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let position = 'from=start';
  for (;;) {
    const page = await getJson<{ entries: LogEntry[]; hasMore: boolean }>(server.url, `/api/logs?${position}&limit=1000`);
    for (const entry of page.body.entries) {
      const batch = entry.msg.split('-', 1)[0] as string;
      counts.set(batch, (counts.get(batch) ?? 0) + 1);
    }
    const last = page.body.entries.at(-1);
    if (!page.body.hasMore || last === undefined) return counts;
    position = `after=${last.id}`;
  }
}
