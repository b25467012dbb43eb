import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SpawnedServer, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './tail-support.js';

// What the CLI says when a stream-limited token or a deleted stream stops it: words that match what
// happened, found in an acceptance pass that followed the docs.
const ADMIN = 'admin-token-qa';
const READ_BUILDS = 'read-builds-qa';
let server: SpawnedServer;
let data: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  data = await tempDir('livelog-cli-tail-messages-');
  server = await spawnServer({
    dataDir: data.path,
    args: ['--token', ADMIN, '--token', `${READ_BUILDS}:read@build-*`, '--heartbeat', '200ms', '--retry', '10ms'],
  });
});
afterAll(async () => {
  await server?.kill('SIGTERM');
  await data?.remove();
});

const admin = { authorization: `Bearer ${ADMIN}` };

describe('livelog tail messages', () => {
  it('a token with the read scope for other streams is told the stream is not covered, not that it lacks the scope', async () => {
    const tail = runCli(['tail', server.url, '--no-follow'], { LIVELOG_TOKEN: READ_BUILDS });
    expect((await tail.exited).code).toBe(1);
    expect(tail.stderr()).toContain('the token does not cover stream default');
    expect(tail.stderr()).toContain('--stream NAME');
    expect(tail.stderr()).not.toContain('it needs the read scope');
  });

  it('a stream deleted while read: says it was deleted, not that it started over, and exits 1', async () => {
    const write = await fetch(`${server.url}/api/streams/build-9/logs`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'text/plain' },
      body: 'one\ntwo\n',
    });
    expect(write.status).toBe(200);
    const tail = runCli(['tail', server.url, '--stream', 'build-9', '-n', 'all', '-o', 'raw'], { LIVELOG_TOKEN: READ_BUILDS });
    await tail.waitLines(2);
    await waitFor(
      async () => {
        const info = (await (await fetch(`${server.url}/api/streams/build-9`, { headers: admin })).json()) as { readers: number };
        return info.readers === 1;
      },
      { what: 'the tail connected' },
    );
    expect((await fetch(`${server.url}/api/streams/build-9`, { method: 'DELETE', headers: admin })).status).toBe(204);
    expect((await tail.exited).code).toBe(1);
    expect(tail.stderr()).toContain('stream build-9 was deleted');
    expect(tail.stderr()).not.toContain('started over');
  });

  it('a position past the head (the server lost its tail): says lines may come again, then prints what there is', async () => {
    const write = await fetch(`${server.url}/api/streams/build-lost/logs`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'text/plain' },
      body: 'one\ntwo\n',
    });
    const { firstId } = (await write.json()) as { firstId: string };
    const cursorFile = join(data.path, 'lost-cursor');
    await writeFile(cursorFile, `${firstId.split(':')[0]}:99\n`);
    const tail = runCli(
      ['tail', server.url, '--stream', 'build-lost', '--no-follow', '-n', 'all', '-o', 'raw', '--cursor-file', cursorFile],
      {
        LIVELOG_TOKEN: ADMIN,
      },
    );
    expect((await tail.exited).code).toBe(0);
    expect(tail.stderr()).toContain('the server lost entries past its head (future); started over: lines printed before may come again');
    expect(tail.stdout()).toBe('one\ntwo\n');
  });

  it('serve names the token form when a token is written another way', async () => {
    const serve = runCli(['serve', '--port', '0', '--data', data.path, '--token', 'read:ci-*=SECRETVALUE']);
    expect((await serve.exited).code).toBe(2);
    expect(serve.stderr()).toContain('SECRET[:scope+scope][@glob|glob]');
  });
});
