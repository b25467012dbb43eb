import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cliPath, getJson, spawnServer, tempDir } from '@livelog/test-utils';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('livelog serve and healthcheck', () => {
  it('takes its settings from LIVELOG_* variables, and healthcheck exits 0 against it', async () => {
    const dir = await tempDir();
    const server = await spawnServer({
      dataDir: dir.path,
      args: ['--base-path', '/logs'],
      env: { LIVELOG_TOKEN: 'abcdefgh1234:read,ingest-only-99:ingest', LIVELOG_RETAIN_ENTRIES: '5', LIVELOG_HEARTBEAT: '250ms' },
    });
    try {
      expect((await getJson(server.url, '/api/logs')).status).toBe(401);
      expect((await getJson(server.url, '/api/logs', { authorization: 'Bearer abcdefgh1234' })).status).toBe(200);
      const { stdout } = await run(process.execPath, [cliPath(), 'healthcheck', '--url', server.url]);
      expect(stdout).toContain('ready');
      const env = { ...process.env, LIVELOG_PORT: String(server.port), LIVELOG_BASE_PATH: '/logs' };
      await run(process.execPath, [cliPath(), 'healthcheck'], { env });
    } finally {
      await server.kill('SIGTERM');
      await dir.remove();
    }
  });

  it('healthcheck exits 1 when nothing answers', async () => {
    await expect(
      run(process.execPath, [cliPath(), 'healthcheck', '--url', 'http://127.0.0.1:1', '--timeout', '500']),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('not ready'),
    });
  });

  it('exits 1 with every bad setting named', async () => {
    const dir = await tempDir();
    try {
      await expect(
        run(process.execPath, [cliPath(), 'serve', '--data', dir.path, '--port', 'x', '--retain-bytes', 'lots'], { timeout: 10_000 }),
      ).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/--port \(LIVELOG_PORT\)[\s\S]*--retain-bytes \(LIVELOG_RETAIN_BYTES\)/),
      });
    } finally {
      await dir.remove();
    }
  });

  it('refuses a second server on the same data directory', async () => {
    const dir = await tempDir();
    const first = await spawnServer({ dataDir: dir.path });
    try {
      await expect(spawnServer({ dataDir: dir.path })).rejects.toThrow(/another process is using/);
    } finally {
      await first.kill('SIGTERM');
      await dir.remove();
    }
  });

  it('shuts down gracefully on SIGTERM with exit code 0', async () => {
    const dir = await tempDir();
    const server = await spawnServer({ dataDir: dir.path });
    expect(await server.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    await dir.remove();
  });
});
