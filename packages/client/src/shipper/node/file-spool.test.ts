import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '@livelog/test-utils';
import { afterEach, describe, expect, it, test } from 'vitest';
import { createFileSpool } from './file-spool.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function dir(): Promise<string> {
  const temp = await tempDir('livelog-file-spool-');
  cleanups.push(temp.remove);
  return temp.path;
}

const frame = (n: number) => ({
  key: `k${n}`,
  source: n % 2 === 0 ? 'even' : undefined,
  records: 2,
  body: `{"msg":"a${n}"}\n{"msg":"b${n}"}\n`,
});

test('frames not acknowledged come back, in order, with their keys, sources and bodies', async () => {
  const path = await dir();
  const spool = createFileSpool({ dir: path });
  expect(await spool.open()).toEqual([]);
  const refs = [];
  for (let n = 1; n <= 4; n++) refs.push(await spool.append(frame(n)));
  await spool.acknowledge(refs[0]);
  await spool.close();

  const again = createFileSpool({ dir: path });
  const recovered = await again.open();
  expect(recovered.map(({ key, source, records }) => ({ key, source, records }))).toEqual([
    { key: 'k2', source: 'even', records: 2 },
    { key: 'k3', source: undefined, records: 2 },
    { key: 'k4', source: 'even', records: 2 },
  ]);
  expect(await again.read(recovered[1]?.ref)).toBe(frame(3).body);
  await again.close();
});

test('a torn last frame (a crash mid-append) is cut off; the frames before it survive', async () => {
  const path = await dir();
  const spool = createFileSpool({ dir: path });
  await spool.open();
  await spool.append(frame(1));
  await spool.append(frame(2));
  await spool.close();
  const [segment] = (await readdir(path)).filter((name) => name.endsWith('.ndjson'));
  const file = join(path, segment as string);
  const whole = (await stat(file)).size;
  await appendFile(file, '{"k":"k3","n":2,"b":40,"c":1}\n{"msg":"a3"');

  const again = createFileSpool({ dir: path });
  expect((await again.open()).map((f) => f.key)).toEqual(['k1', 'k2']);
  expect((await stat(file)).size).toBe(whole);
  await again.close();
});

test('acknowledging everything empties the spool; full segments are deleted once acknowledged', async () => {
  const path = await dir();
  const spool = createFileSpool({ dir: path, segmentBytes: 100 });
  await spool.open();
  const refs = [];
  for (let n = 1; n <= 5; n++) refs.push(await spool.append(frame(n)));
  const segments = async () => (await readdir(path)).filter((name) => name.endsWith('.ndjson')).sort();
  expect((await segments()).length).toBe(5);
  for (const ref of refs.slice(0, 3)) await spool.acknowledge(ref);
  expect((await segments()).length).toBe(2);
  for (const ref of refs.slice(3)) await spool.acknowledge(ref);
  const left = await segments();
  expect(left.length).toBe(1);
  expect((await stat(join(path, left[0] as string))).size).toBe(0);
  expect(await readFile(join(path, 'spool.ack'), 'utf8')).toMatch(/^5 0\n$/);
  await spool.close();
  expect(await createFileSpool({ dir: path }).open()).toEqual([]);
});

test('one shipper per spool: refused while another holds it, taken over from a holder that died', async () => {
  const path = await dir();
  const first = createFileSpool({ dir: path });
  await first.open();
  await expect(createFileSpool({ dir: path }).open()).rejects.toThrow(/in use by this process/);
  await first.close();
  // The parent of this test process is alive: its lock holds.
  await writeFile(join(path, 'spool.lock'), `${process.ppid}\n`);
  await expect(createFileSpool({ dir: path }).open()).rejects.toThrow(`in use by process ${process.ppid}`);
  // A pid no process has: the holder was killed, its lock is stale.
  await writeFile(join(path, 'spool.lock'), '999999999\n');
  const second = createFileSpool({ dir: path });
  await expect(second.open()).resolves.toEqual([]);
  await second.close();
});

// A full disk writes what fits and returns: the frame was reported durable, and the next open cut it
// off as torn, with every line of it (a pipe said "kept in the spool" and the next run sent nothing).
test.runIf(existsSync('/bin/sh'))('a frame the disk cannot take whole is refused and cut off; the next frame survives', async () => {
  const path = await dir();
  // In a child limited to 64 KiB files (ulimit -f, as a full disk: a short write, then an error), on
  // the built module: Node 20 cannot run TypeScript.
  const url = new URL('../../../dist/shipper/node/file-spool.js', import.meta.url).pathname;
  const script = `import(${JSON.stringify(url)}).then(async ({ createFileSpool }) => {
    const spool = createFileSpool({ dir: ${JSON.stringify(path)} });
    await spool.open();
    const said = [];
    await spool.append({ key: 'big', records: 1, body: '{"msg":"${'x'.repeat(100_000)}"}\\n' }).then(() => said.push('big kept'), (error) => said.push(error.code));
    await spool.append({ key: 'small', records: 1, body: '{"msg":"small"}\\n' }).then(() => said.push('small kept'), (error) => said.push(error.code));
    await spool.close();
    console.log(said.join(','));
  })`;
  const child = spawnSync('/bin/sh', ['-c', 'ulimit -f 64 && exec "$0" -e "$1"', process.execPath, script], {
    timeout: 20_000,
    encoding: 'utf8',
  });
  expect(child.stderr).toBe('');
  expect(child.stdout.trim()).toBe('EFBIG,small kept');
  const again = createFileSpool({ dir: path });
  const recovered = await again.open();
  expect(recovered.map((f) => f.key)).toEqual(['small']);
  expect(await again.read(recovered[0]?.ref)).toBe('{"msg":"small"}\n');
  await again.close();
});

describe('makeDir (the spool directory)', () => {
  it.runIf(existsSync('/proc/self'))('refuses at once where the filesystem will not make it (procfs), where Node loops forever', () => {
    // In a child with a deadline, on the built module (Node 20 cannot run TypeScript): the fault is a process that never returns.
    const url = new URL('../../../dist/shipper/node/make-dir.js', import.meta.url).pathname;
    const script = `import(${JSON.stringify(url)}).then(({ makeDir }) => makeDir('/proc/livelog-nope/x')).catch((error) => console.log(error.code))`;
    const child = spawnSync(process.execPath, ['-e', script], { timeout: 10_000, encoding: 'utf8' });
    expect(child.error).toBeUndefined();
    expect(child.stdout.trim()).toBe('ENOENT');
  });
});
