import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { startServer } from '@livelog/test-utils';
import { expect, it } from 'vitest';

it('close() leaves no timer or socket behind: a Node script exits at once', async () => {
  const server = await startServer();
  try {
    const client = pathToFileURL(createRequire(import.meta.url).resolve('@livelog/client')).href;
    const script = `
      import { openStream } from '${client}';
      const stream = openStream({ url: process.argv[1] });
      stream.on('status', (status) => { if (status.state === 'open') stream.close(); });`;
    const started = Date.now();
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, server.url], { timeout: 15_000 });
    expect(Date.now() - started).toBeLessThan(5000);
  } finally {
    await server.close();
  }
});
