import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cliPath, freePort, tempDir } from '@livelog/test-utils';
import { afterAll, beforeAll, expect, test } from 'vitest';

let files: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  files = await tempDir('livelog-spool-full-');
});
afterAll(async () => {
  await files.remove();
});

// A full disk refuses every batch after the first with the same words; stderr said them once a batch
// (nine lines for 50,000 lines on a 64 KiB tmpfs), where the guide promises one line per episode.
test.runIf(existsSync('/bin/sh'))('a spool on a full disk is said once, and what it could not keep is counted as lost', async () => {
  const input = join(files.path, 'lines.txt');
  await writeFile(input, Array.from({ length: 50_000 }, (_, i) => `line ${i + 1}\n`).join(''));
  const down = `http://127.0.0.1:${await freePort()}`;
  // ulimit -f: files of at most 64 KiB, a disk that fills up (a short write, then EFBIG).
  const pipe = spawn(
    '/bin/sh',
    [
      '-c',
      'ulimit -f 64 && exec "$0" "$@" < "$LINES"',
      process.execPath,
      cliPath(),
      'pipe',
      '--server',
      down,
      '--spool',
      join(files.path, 'spool'),
      '--flush-timeout',
      '1s',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LINES: input } },
  );
  let stderr = '';
  pipe.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => pipe.once('close', resolve));
  expect(code, stderr).toBe(1);
  const said = stderr.split('\n');
  expect(
    said.filter((line) => line.startsWith('livelog pipe: spool: ')),
    stderr,
  ).toEqual(['livelog pipe: spool: batch kept in memory, the spool refused it: EFBIG: file too large, write']);
  expect(said.some((line) => /more were only in memory and are lost|were not acknowledged/.test(line))).toBe(true);
});
