import { startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { livelog, storedEntries } from './support/livelog-process.js';

// Values a command took and then failed on, or ignored: each is a usage error (exit 2, run 125) said
// in one line before anything is read or shipped.

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

async function cli(args: string[]) {
  const run = livelog(args);
  const { code } = await run.exited;
  return { code, stderr: run.stderr() };
}

test('--flush-timeout 0 is refused (pipe 2, run 125) and nothing is shipped; it gave up at once and lost every line', async () => {
  const before = (await storedEntries(server.store)).length;
  expect(await cli(['pipe', '--server', server.url, '--flush-timeout', '0'])).toEqual({
    code: 2,
    stderr: 'livelog pipe: --flush-timeout must be a positive duration such as 10s or 1m, got "0"\n',
  });
  expect((await cli(['run', '--server', server.url, '--flush-timeout', '0s', '--', 'echo', 'shipped?'])).code).toBe(125);
  expect((await storedEntries(server.store)).length).toBe(before);
});

test('tail: --since after --until is a usage error (it was exit 1 with the server’s HTTP 400); a bad -n is refused beside --since', async () => {
  expect(await cli(['tail', server.url, '--since', '1m', '--until', '2h'])).toEqual({
    code: 2,
    stderr: 'livelog tail: --since 1m is after --until 2h: nothing can be in that range\n',
  });
  expect(await cli(['tail', server.url, '--since', '1h', '-n', 'ten', '--no-follow'])).toEqual({
    code: 2,
    stderr: 'livelog tail: --tail must be a number or "all"\n',
  });
});

test('a --since reaching back before 1970 is a usage error naming why (tail and search); it was taken as "everything"', async () => {
  expect(await cli(['tail', server.url, '--since', '9999999d', '--no-follow'])).toEqual({
    code: 2,
    stderr: 'livelog tail: --since 9999999d reaches back before 1970-01-01, the earliest time livelog reads\n',
  });
  expect(await cli(['search', server.url, 'x', '--since', '9999999d'])).toEqual({
    code: 2,
    stderr: 'livelog search: --since 9999999d reaches back before 1970-01-01, the earliest time livelog reads\n',
  });
});
