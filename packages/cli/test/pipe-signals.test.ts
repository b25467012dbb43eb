import { startServer, type TestServer, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { livelog, storedEntries } from './support/livelog-process.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

async function messagesOf(source: string): Promise<string[]> {
  return (await storedEntries(server.store)).filter((entry) => entry.source === source).map((entry) => entry.msg);
}

// `tail -F app.log | livelog pipe` stopped by its service manager, or Ctrl-C: what pipe read is
// delivered before it leaves, as at the end of stdin. It died at once, losing the line it held.
test.each(['SIGTERM', 'SIGINT'] as const)('%s ships what was read, the line without its newline too, and exits 0', async (signal) => {
  const source = `stopped-${signal.toLowerCase()}`;
  const pipe = livelog(['pipe', '--server', server.url, '--source', source], { stdin: 'pipe' });
  pipe.child.stdin?.write('first line\nno newline yet');
  await waitFor(async () => (await messagesOf(source)).includes('first line'), { what: 'the first line to be stored' });
  pipe.child.kill(signal);
  expect(await pipe.exited, pipe.stderr()).toEqual({ code: 0, signal: null });
  expect(await messagesOf(source)).toEqual(['first line', 'no newline yet']);
  pipe.child.stdin?.destroy();
});
