import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { type SpawnedServer, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lines, numbered, storedMessages } from './support/follow-log.js';
import { livelog } from './support/livelog-process.js';

/**
 * `livelog pipe --follow` restarted after the file changed while it was down: each step below is
 * done while no follower runs, then one runs with `--once` (to the end of the files, then out), so
 * every outcome is decided by the checkpoint and the files alone, not by timing.
 */

let server: SpawnedServer;
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir('livelog-follow-restart-');
  server = await spawnServer({ dataDir: join(dir.path, 'data'), logLevel: 'warn' });
});
afterAll(async () => {
  await server.kill('SIGTERM');
  await dir.remove();
});

const stored = (stream: string): Promise<string[]> => storedMessages(server.url, stream);

function setup(name: string): { log: string; args: (once: boolean) => string[]; once: () => Promise<string> } {
  const log = join(dir.path, name, 'app.log');
  const args = (once: boolean): string[] => [
    'pipe',
    '--follow',
    log,
    '--checkpoint',
    join(dir.path, name, 'follow.checkpoint'),
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
  return { log, args, once };
}

describe('pipe --follow across a restart', () => {
  it('kill -9, rename rotation while down, restart: the rotated file is finished, then the new one read; no line lost or twice', async () => {
    const { log, args, once } = setup('renamed');
    mkdirSync(join(dir.path, 'renamed'));
    writeFileSync(log, lines(0, 1000));
    const follower = livelog(args(false));
    await waitFor(async () => (await stored('renamed')).length >= 1000, { timeoutMs: 30_000, what: 'the first 1000 lines' });
    follower.child.kill('SIGKILL');
    await follower.exited;
    // Down: more lines into the followed file, which is then renamed away and replaced.
    appendFileSync(log, lines(1000, 2000));
    renameSync(log, `${log}.1`);
    writeFileSync(log, lines(2000, 3000));
    let stderr = await once();
    expect(await stored('renamed'), stderr).toEqual(numbered(0, 3000));

    // Down: renamed again, and the new file copy-truncated (logrotate's copytruncate) before livelog looks.
    appendFileSync(log, lines(3000, 3500));
    renameSync(log, `${log}.2`);
    writeFileSync(log, lines(3500, 4000));
    copyFileSync(log, `${log}.3`);
    truncateSync(log, 0);
    appendFileSync(log, lines(4000, 4500));
    stderr = await once();
    expect(await stored('renamed'), stderr).toEqual(numbered(0, 4500));

    // Down: renamed twice (logrotate shifting .4 to .5), so one whole generation was never seen.
    appendFileSync(log, lines(4500, 4600));
    renameSync(log, `${log}.4`);
    writeFileSync(log, lines(4600, 4700));
    renameSync(`${log}.4`, `${log}.5`);
    renameSync(log, `${log}.4`);
    writeFileSync(log, lines(4700, 4800));
    // And a plain copy of the current file, not a truncation: its lines are read once, from the file.
    copyFileSync(log, `${log}.bak`);
    stderr = await once();
    expect(await stored('renamed'), stderr).toEqual(numbered(0, 4800));

    // Nothing changed while down: nothing is sent again.
    stderr = await once();
    expect(await stored('renamed'), stderr).toEqual(numbered(0, 4800));
  }, 90_000);

  it('a file truncated while down is read from its start, whether it is now shorter or longer than the offset', async () => {
    const { log, once } = setup('truncated');
    mkdirSync(join(dir.path, 'truncated'));
    writeFileSync(log, lines(0, 1000));
    await once();
    // Shorter than the checkpointed offset.
    truncateSync(log, 0);
    appendFileSync(log, lines(1000, 1010));
    let stderr = await once();
    expect(await stored('truncated'), stderr).toEqual(numbered(0, 1010));
    // Longer than the offset: told by its first bytes, which differ.
    truncateSync(log, 0);
    appendFileSync(log, lines(1010, 3000));
    stderr = await once();
    expect(await stored('truncated'), stderr).toEqual(numbered(0, 3000));
  }, 90_000);

  it('a file seen empty, then filled and copy-truncated while down: the copy is read first', async () => {
    const { log, once } = setup('empty');
    mkdirSync(join(dir.path, 'empty'));
    writeFileSync(log, '');
    await once();
    // The checkpoint knows the file with an empty fingerprint, which no truncation check can fail.
    await new Promise((resolve) => setTimeout(resolve, 50));
    appendFileSync(log, lines(0, 500));
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, lines(500, 1000));
    const stderr = await once();
    expect(await stored('empty'), stderr).toEqual(numbered(0, 1000));
  }, 90_000);

  it('a file seen empty, then filled, copy-truncated, filled again and renamed away while down: copy, then the file, then the new one', async () => {
    const { log, once } = setup('empty-renamed');
    mkdirSync(join(dir.path, 'empty-renamed'));
    writeFileSync(log, '');
    await once();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Down: the generation the checkpoint knows empty is copy-truncated, refilled, then rotated by rename.
    appendFileSync(log, lines(0, 500));
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, lines(500, 1000));
    renameSync(log, `${log}.2`);
    writeFileSync(log, lines(1000, 1500));
    const stderr = await once();
    expect(await stored('empty-renamed'), stderr).toEqual(numbered(0, 1500));
  }, 90_000);

  it('a file seen empty and copy-truncated before the checkpoint was last written: the copy is still read', async () => {
    const { log, once } = setup('empty-late-save');
    mkdirSync(join(dir.path, 'empty-late-save'));
    writeFileSync(log, '');
    await once();
    await new Promise((resolve) => setTimeout(resolve, 50));
    appendFileSync(log, lines(0, 500));
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    // A follower busy with other lines writes its checkpoint after the copy was made, without having looked at the files.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = new Date();
    utimesSync(join(dir.path, 'empty-late-save', 'follow.checkpoint'), now, now);
    appendFileSync(log, lines(500, 1000));
    renameSync(log, `${log}.2`);
    writeFileSync(log, lines(1000, 1500));
    const stderr = await once();
    expect(await stored('empty-late-save'), stderr).toEqual(numbered(0, 1500));
  }, 90_000);

  it('killed while finishing from its copy a generation seen empty: after the restart the copy is read, not the file', async () => {
    const { log, args, once } = setup('empty-copy-killed');
    const checkpoint = join(dir.path, 'empty-copy-killed', 'follow.checkpoint');
    mkdirSync(join(dir.path, 'empty-copy-killed'));
    writeFileSync(log, '');
    await once();
    await new Promise((resolve) => setTimeout(resolve, 50));
    appendFileSync(log, lines(0, 500));
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, lines(500, 1000));
    // A follower that cannot deliver (no server there) notes that it reads the first generation from the copy, then dies.
    const stuck = livelog(args(false).map((arg) => (arg === server.url ? 'http://127.0.0.1:9' : arg)));
    try {
      await waitFor(() => readFileSync(checkpoint, 'utf8').includes(`"name":${JSON.stringify(`${log}.1`)}`), { timeoutMs: 30_000 });
    } finally {
      stuck.child.kill('SIGKILL');
      await stuck.exited;
    }
    const stderr = await once();
    expect(await stored('empty-copy-killed'), stderr).toEqual(numbered(0, 1000));
  }, 90_000);

  // A follower paused (SIGSTOP) stands for one starved on a loaded machine: it cannot look while the files change.
  // The pause may land between a look for copies and a read: follow-copy-race.test.ts makes that window certain.
  it('paused after seeing the file empty, while it is filled and copy-truncated: the copy is read, nothing lost', async () => {
    const { log, args } = setup('paused-empty');
    mkdirSync(join(dir.path, 'paused-empty'));
    writeFileSync(log, '');
    const follower = livelog(args(false));
    try {
      await waitFor(() => existsSync(join(dir.path, 'paused-empty', 'follow.checkpoint')), { timeoutMs: 30_000 });
      follower.child.kill('SIGSTOP');
      appendFileSync(log, lines(0, 500));
      copyFileSync(log, `${log}.1`);
      truncateSync(log, 0);
      appendFileSync(log, lines(500, 1000));
      follower.child.kill('SIGCONT');
      await waitFor(async () => (await stored('paused-empty')).length >= 1000, { timeoutMs: 30_000 }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await stored('paused-empty'), follower.stderr()).toEqual(numbered(0, 1000));
    } finally {
      follower.child.kill('SIGCONT');
      follower.child.kill('SIGTERM');
      await follower.exited;
    }
  }, 90_000);

  it('paused while the file is renamed and the new one filled and copy-truncated: every generation is read', async () => {
    const { log, args } = setup('paused-rename');
    mkdirSync(join(dir.path, 'paused-rename'));
    writeFileSync(log, lines(0, 100));
    const follower = livelog(args(false));
    try {
      await waitFor(async () => (await stored('paused-rename')).length >= 100, { timeoutMs: 30_000 });
      follower.child.kill('SIGSTOP');
      appendFileSync(log, lines(100, 200));
      renameSync(log, `${log}.1`);
      writeFileSync(log, lines(200, 300));
      copyFileSync(log, `${log}.2`);
      truncateSync(log, 0);
      appendFileSync(log, lines(300, 400));
      follower.child.kill('SIGCONT');
      await waitFor(async () => (await stored('paused-rename')).length >= 400, { timeoutMs: 30_000 }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await stored('paused-rename'), follower.stderr()).toEqual(numbered(0, 400));
    } finally {
      follower.child.kill('SIGCONT');
      follower.child.kill('SIGTERM');
      await follower.exited;
    }
  }, 90_000);

  it('a new file never seen, filled, copy-truncated, refilled and renamed away while down: its copy is read before it', async () => {
    const { log, once } = setup('unseen-copy-renamed');
    mkdirSync(join(dir.path, 'unseen-copy-renamed'));
    writeFileSync(log, lines(0, 100));
    await once();
    const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30));
    // Down: rotated by rename; the new file (C) is filled, copy-truncated, refilled and rotated by rename in turn.
    // C is created before its copy but holds the later lines: created first is not written first.
    renameSync(log, `${log}.1`);
    writeFileSync(log, lines(100, 200));
    await tick();
    copyFileSync(log, `${log}.2`);
    truncateSync(log, 0);
    await tick();
    appendFileSync(log, lines(200, 300));
    renameSync(log, `${log}.3`);
    writeFileSync(log, lines(300, 400));
    const stderr = await once();
    expect(await stored('unseen-copy-renamed'), stderr).toEqual(numbered(0, 400));
  }, 90_000);
});
