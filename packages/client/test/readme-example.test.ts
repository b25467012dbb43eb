import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ingest, startServer, tempDir } from '@livelog/test-utils';
import { expect, it } from 'vitest';

it('the README example runs as written against a real server', async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const code = /```js(?: example)?\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  const entry = pathToFileURL(createRequire(import.meta.url).resolve('@livelog/client')).href;
  const server = await startServer();
  const dir = await tempDir('livelog-readme-');
  try {
    await ingest(server.url, 5);
    const file = join(dir.path, 'example.mjs');
    await writeFile(file, (code as string).replace("from '@livelog/client'", `from '${entry}'`));
    const { stdout } = await promisify(execFile)(process.execPath, [file], {
      env: { ...process.env, LIVELOG_URL: server.url },
      timeout: 20_000,
    });
    expect(stdout.split('\n').filter(Boolean)).toEqual([
      'event 3 info line 3',
      'event 4 info line 4',
      'event 5 info line 5',
      `iterated ${server.store.streamId}:3 line 3`,
      'history [ 1, 2 ] more: true',
    ]);
  } finally {
    await dir.remove();
    await server.close();
  }
});
