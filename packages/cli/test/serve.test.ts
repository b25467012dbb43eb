import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { cliPath, freePort, getJson, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/**
 * Runs `livelog serve …` that should refuse to start, until it exits, however long a loaded machine
 * takes to load it: no time limit (a 10 s one killed slow but correct runs at load 30), yet a serve
 * that wrongly starts is killed as soon as it says it listens, so the test fails at once, not hangs.
 */
function refusedServe(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliPath(), 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    if (stdout.includes('"msg":"Server listening')) child.kill('SIGKILL');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('livelog serve and healthcheck', () => {
  it('takes its settings from LIVELOG_* variables, and healthcheck exits 0 against it', async () => {
    const dir = await tempDir();
    const server = await spawnServer({
      dataDir: dir.path,
      args: ['--base-path', '/logs'],
      env: { LIVELOG_TOKENS: 'abcdefgh1234:read,ingest-only-99:ingest', LIVELOG_RETAIN_ENTRIES: '5', LIVELOG_HEARTBEAT: '250ms' },
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

  it('exits 2 (a usage error) with every bad setting named', async () => {
    const dir = await tempDir();
    try {
      expect(await refusedServe(['--data', dir.path, '--port', 'x', '--retain-bytes', 'lots'])).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/--port \(LIVELOG_PORT\)[\s\S]*--retain-bytes \(LIVELOG_RETAIN_BYTES\)/),
      });
      // LIVELOG_SEARCH_INDEX is read as --search-index is: on or off, anything else is a usage error.
      expect(await refusedServe(['--data', dir.path, '--port', '0'], { ...process.env, LIVELOG_SEARCH_INDEX: 'maybe' })).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('--search-index (LIVELOG_SEARCH_INDEX): must be on or off'),
      });
    } finally {
      await dir.remove();
    }
  });

  // Regression: a store URL of a scheme no store knows (mongodb://), or one the Redis store cannot
  // read, was found only while the server started, and exited 1 as if the server had failed.
  it('exits 2 (a usage error) on every store URL it cannot use, naming --store, and creates nothing', async () => {
    const dir = await tempDir();
    try {
      for (const [store, says] of [
        ['mongodb://x', 'no store is available for mongodb:// URLs (store URLs known here: redis://'],
        ['http://127.0.0.1:1/', 'no store is available for http:// URLs'],
        ['redis://', 'invalid Redis store URL redis://: the host is missing'],
        ['redis://user:secret@h:99999', 'the store redis://***@h:99999 is not a valid URL'],
      ] as const) {
        const refused = await refusedServe(['--data', `${dir.path}/data`, '--port', '0', '--store', store]);
        expect(refused, store).toMatchObject({
          code: 2,
          stderr: expect.stringContaining(`invalid configuration:\n  --store (LIVELOG_STORE): ${says}`),
        });
        expect(refused).not.toMatchObject({ stderr: expect.stringContaining('secret') });
      }
      // Nothing was started: not even the data directory (a URL store does not use one) exists.
      await expect(run('ls', [`${dir.path}/data`])).rejects.toMatchObject({ code: 2 });
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

  it('writes pino JSON when stdout is not a terminal; --log-format pretty (or LIVELOG_LOG_FORMAT) prints a banner and readable lines', async () => {
    const dir = await tempDir();
    try {
      const json = await spawnServer({ dataDir: dir.path });
      await json.kill('SIGTERM');
      const first = json
        .output()
        .split('\n')
        .find((line) => line.includes('livelog is serving'));
      expect(JSON.parse(first ?? 'null')).toMatchObject({ level: 30, url: json.url, store: 'sqlite', tokens: 0 });
      expect(json.output()).not.toContain('Ctrl-C stops the server');

      for (const options of [{ args: ['--log-format', 'pretty'] }, { env: { LIVELOG_LOG_FORMAT: 'pretty' } }]) {
        const pretty = await spawnServer({ dataDir: dir.path, ...options });
        expect(await pretty.kill('SIGTERM')).toEqual({ code: 0, signal: null });
        const output = pretty.output();
        expect(output).toContain(`livelog is serving\n\n  console  ${pretty.url}/\n  store    SQLite in ${dir.path} (durability full)\n`);
        expect(output).toContain('  access   no token: listening on 127.0.0.1 only; anyone on this machine can read and write\n');
        expect(output).toMatch(
          /\[\d\d:\d\d:\d\d\.\d{3}\] INFO: shutting down: ending streams, committing accepted batches\n {4}signal: "SIGTERM"/,
        );
        // No line of it is JSON, and the banner carries no colour outside a terminal.
        expect(output.split('\n').some((line) => line.startsWith('{'))).toBe(false);
        expect(output).not.toContain('\x1b[');
      }
    } finally {
      await dir.remove();
    }
  });

  it('on a terminal (a pty from script(1)) prints the banner by default, with the token state', async () => {
    const dir = await tempDir();
    const port = await freePort();
    const command = [process.execPath, cliPath(), 'serve', '--port', String(port), '--data', dir.path, '--token', 'reader-secret-1:read'];
    // script(1) gives the server a pseudo-terminal as stdout; detached, so the whole group can be stopped.
    const child = spawn('script', ['-qfec', command.map((part) => `'${part}'`).join(' '), '/dev/null'], {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await waitFor(() => output.includes('Ctrl-C stops the server'), { what: `the banner (output so far: ${output})`, timeoutMs: 20_000 });
      const text = output.replaceAll('\r\n', '\n');
      expect(text).toContain(`  console  http://127.0.0.1:${port}/\n`);
      expect(text).toContain('  access   1 token (read): every request needs one\n');
      expect(text).not.toContain('"msg":');
    } finally {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      await exited;
      await dir.remove();
    }
  });

  it('refuses an unknown --log-format', async () => {
    const dir = await tempDir();
    try {
      await expect(run(process.execPath, [cliPath(), 'serve', '--data', dir.path, '--log-format', 'xml'])).rejects.toMatchObject({
        code: 2,
        stderr: 'livelog serve: --log-format (LIVELOG_LOG_FORMAT) must be pretty, json or auto, got "xml"\n',
      });
    } finally {
      await dir.remove();
    }
  });
});
