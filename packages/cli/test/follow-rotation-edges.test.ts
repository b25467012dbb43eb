import { appendFileSync, copyFileSync, mkdirSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type SpawnedServer, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lines, numbered, storedMessages } from './support/follow-log.js';
import { livelog } from './support/livelog-process.js';

/**
 * `livelog pipe --follow` at the edges of rotation: several copytruncates between two looks, a
 * rotated file truncated in turn, a glob that matches the copies. Each state is made while the
 * follower cannot act on it (stopped, or its batch held by a stopped server), so the outcome does not
 * depend on timing.
 */

let server: SpawnedServer;
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir('livelog-follow-edges-');
  server = await spawnServer({ dataDir: join(dir.path, 'data'), logLevel: 'warn' });
});
afterAll(async () => {
  server.child.kill('SIGCONT');
  await server.kill('SIGTERM');
  await dir.remove();
});

const stored = (stream: string): Promise<string[]> => storedMessages(server.url, stream);

function setup(
  name: string,
  pattern = 'app.log',
): { log: string; checkpoint: string; args: (once: boolean) => string[]; once: () => Promise<string> } {
  mkdirSync(join(dir.path, name));
  const log = join(dir.path, name, 'app.log');
  const checkpoint = join(dir.path, name, 'follow.checkpoint');
  const args = (once: boolean): string[] => [
    'pipe',
    '--follow',
    join(dir.path, name, pattern),
    '--checkpoint',
    checkpoint,
    '--from-start',
    ...(once ? ['--once'] : []),
    '--server',
    server.url,
    '--stream',
    name,
  ];
  const once = async (): Promise<string> => {
    const run = livelog(args(true));
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(0);
    return run.stderr();
  };
  return { log, checkpoint, args, once };
}

function checkpointText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

describe('pipe --follow at the edges of rotation', () => {
  it('copy-truncated twice while down: the first copy, then the second, then the file', async () => {
    const { log, once } = setup('two-copies');
    writeFileSync(log, lines(0, 100));
    await once();
    appendFileSync(log, lines(100, 200));
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, lines(200, 300));
    copyFileSync(log, `${log}.2`);
    truncateSync(log, 0);
    appendFileSync(log, lines(300, 400));
    let stderr = await once();
    expect(await stored('two-copies'), stderr).toEqual(numbered(0, 400));
    // Nothing changed: nothing is read again.
    stderr = await once();
    expect(await stored('two-copies'), stderr).toEqual(numbered(0, 400));
  }, 90_000);

  it('copy-truncated, renamed away, and its replacement copy-truncated while down: each copy in the order written', async () => {
    const { log, once } = setup('copy-rename-copy');
    writeFileSync(log, lines(0, 100));
    await once();
    appendFileSync(log, lines(100, 200));
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, lines(200, 300));
    renameSync(log, `${log}.2`);
    // The copy below is of the file that replaced the renamed one: its lines come after the renamed file's.
    writeFileSync(log, lines(300, 400));
    copyFileSync(log, `${log}.3`);
    truncateSync(log, 0);
    appendFileSync(log, lines(400, 500));
    const stderr = await once();
    expect(await stored('copy-rename-copy'), stderr).toEqual(numbered(0, 500));
  }, 90_000);

  it('copy-truncated twice while the follower is stopped: the first copy, then the second, then the file', async () => {
    const { log, checkpoint, args } = setup('two-copies-paused');
    writeFileSync(log, lines(0, 100));
    const follower = livelog(args(false));
    try {
      await waitFor(async () => (await stored('two-copies-paused')).length >= 100, { timeoutMs: 30_000 });
      await waitFor(() => !checkpointText(checkpoint).includes('"inflight"'), { timeoutMs: 30_000 });
      follower.child.kill('SIGSTOP');
      appendFileSync(log, lines(100, 200));
      copyFileSync(log, `${log}.1`);
      truncateSync(log, 0);
      appendFileSync(log, lines(200, 300));
      copyFileSync(log, `${log}.2`);
      truncateSync(log, 0);
      appendFileSync(log, lines(300, 400));
      follower.child.kill('SIGCONT');
      await waitFor(async () => (await stored('two-copies-paused')).length >= 400, { timeoutMs: 30_000 }).catch(() => undefined);
      // Give a duplicate the time to show up before looking.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await stored('two-copies-paused'), follower.stderr()).toEqual(numbered(0, 400));
    } finally {
      follower.child.kill('SIGCONT');
      follower.child.kill('SIGTERM');
      await follower.exited;
    }
  }, 90_000);

  it('a file renamed away, then truncated and refilled without a copy: its new lines are read, then the new file', async () => {
    const { log, checkpoint, args } = setup('renamed-truncated');
    writeFileSync(log, lines(0, 100));
    const follower = livelog(args(false));
    try {
      await waitFor(async () => (await stored('renamed-truncated')).length >= 100, { timeoutMs: 30_000 });
      // The server stopped: the next batch stays in flight, so the renamed file cannot be finished early.
      server.child.kill('SIGSTOP');
      appendFileSync(log, lines(100, 200));
      // The batch of lines 100..199 (not the first one, acknowledged but maybe not yet noted).
      const read = Buffer.byteLength(lines(0, 100));
      await waitFor(() => checkpointText(checkpoint).includes(`"start":${read}`), { timeoutMs: 30_000, what: 'lines 100.. in flight' });
      renameSync(log, `${log}.1`);
      writeFileSync(log, '');
      await waitFor(() => checkpointText(checkpoint).includes(`"name":${JSON.stringify(`${log}.1`)}`), {
        timeoutMs: 30_000,
        what: 'the rename noted',
      });
      // The renamed file truncated in place (no copy) and written again, longer than what was read of it.
      truncateSync(`${log}.1`, 0);
      appendFileSync(`${log}.1`, lines(200, 450));
      appendFileSync(log, lines(450, 550));
      server.child.kill('SIGCONT');
      await waitFor(async () => (await stored('renamed-truncated')).length >= 550, { timeoutMs: 30_000 }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await stored('renamed-truncated'), follower.stderr()).toEqual(numbered(0, 550));
    } finally {
      server.child.kill('SIGCONT');
      follower.child.kill('SIGTERM');
      await follower.exited;
    }
  }, 90_000);

  it('truncated in place without a copy and written past the old offset while the follower is stopped: the new lines are read', async () => {
    const { log, checkpoint, args } = setup('truncated-longer');
    writeFileSync(log, lines(0, 100));
    const follower = livelog(args(false));
    try {
      await waitFor(async () => (await stored('truncated-longer')).length >= 100, { timeoutMs: 30_000 });
      await waitFor(() => !checkpointText(checkpoint).includes('"inflight"'), { timeoutMs: 30_000 });
      follower.child.kill('SIGSTOP');
      truncateSync(log, 0);
      appendFileSync(log, lines(100, 300));
      follower.child.kill('SIGCONT');
      await waitFor(async () => (await stored('truncated-longer')).length >= 300, { timeoutMs: 30_000 }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await stored('truncated-longer'), follower.stderr()).toEqual(numbered(0, 300));
    } finally {
      follower.child.kill('SIGCONT');
      follower.child.kill('SIGTERM');
      await follower.exited;
    }
  }, 90_000);

  it('a glob matching the copies: a copy read to its end is not read again', async () => {
    const { log, once } = setup('glob-copy', 'app.log*');
    writeFileSync(log, lines(0, 100));
    await once();
    appendFileSync(log, lines(100, 200));
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, lines(200, 300));
    let stderr = await once();
    expect(await stored('glob-copy'), stderr).toEqual(numbered(0, 300));
    stderr = await once();
    expect(await stored('glob-copy'), stderr).toEqual(numbered(0, 300));
    appendFileSync(log, lines(300, 400));
    stderr = await once();
    expect(await stored('glob-copy'), stderr).toEqual(numbered(0, 400));
  }, 90_000);
});
