import { createServer, type Socket } from 'node:net';
import { getJson, spawnServer, startServer, type TestServer, tempDir } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livelog } from './support/livelog-process.js';

// Issue 9, item 10: exit codes, variables and help read the same in every command (docs/reference/cli.md).

const COMMANDS = ['serve', 'healthcheck', 'run', 'pipe', 'tail', 'search', 'verify'];

let target: TestServer;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  target = await startServer();
  cleanups.push(() => target.close());
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Runs the CLI to its end with `env` on top of a process environment without LIVELOG_* variables. */
async function cli(args: string[], env: Record<string, string> = {}, stdin: 'ignore' | number = 'ignore') {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('LIVELOG_')));
  const run = livelog(args, { env: { ...(clean as Record<string, string>), ...env }, stdin });
  const { code } = await run.exited;
  return { code, stdout: run.stdout().toString('utf8'), stderr: run.stderr() };
}

describe('exit codes', () => {
  it('exits 2 on a usage error in every command but run, which exits 125 (its other codes are the program’s)', async () => {
    for (const command of COMMANDS) {
      const { code, stderr } = await cli([command, '--no-such-flag']);
      expect(code, command).toBe(command === 'run' ? 125 : 2);
      expect(stderr, command).toContain("unknown option '--no-such-flag'");
    }
    expect((await cli(['no-such-command'])).code).toBe(2);
  });

  it('exits 2 on a bad value: serve --port, pipe --level, tail --level, healthcheck --timeout; run 125 on --time', async () => {
    expect(await cli(['serve', '--port', 'eighty'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--port (LIVELOG_PORT)') });
    expect((await cli(['pipe', '--server', target.url, '--level', 'loud'])).code).toBe(2);
    expect((await cli(['tail', target.url, '--level', 'loud', '--no-follow'])).code).toBe(2);
    expect((await cli(['run', '--server', target.url, '--time', 'soon', '--', 'true'])).code).toBe(125);
    expect((await cli(['healthcheck', '--url', target.url, '--timeout', 'soon'])).code).toBe(2);
  });

  // Regression: pipe took a URL without http:// or a bad --source as its own failure (exit 1, the
  // shipper's words), run shipped under the source "run" when --name was not a source (exit 0, no
  // word), and verify tried the URL "bogus/api/streams/…" (exit 1).
  it('exits 2 (run 125) on a server URL that is not http(s) or a source that is not printable, and ships nothing', async () => {
    const cases: { args: string[]; code: number; says: string }[] = [
      { args: ['pipe', '--server', 'bogus'], code: 2, says: '"bogus" is not a URL' },
      { args: ['pipe', '--server', 'ftp://host'], code: 2, says: 'is not an http:// or https:// URL' },
      { args: ['pipe', '--server', target.url, '--source', 'a\u0001b'], code: 2, says: '--source: source must be' },
      {
        args: ['pipe', '--server', target.url, '--source', '\u202e', '--follow', '/nonexistent', '--checkpoint', '/nonexistent.cp'],
        code: 2,
        says: '--source: source must be',
      },
      { args: ['run', '--server', 'bogus', '--', 'echo', 'shipped?'], code: 125, says: '"bogus" is not a URL' },
      { args: ['run', '--server', target.url, '--name', 'a\u0001b', '--', 'echo', 'shipped?'], code: 125, says: '--name: source must be' },
      { args: ['verify', 'bogus', '--count', '10', '--cuts', '0'], code: 2, says: '"bogus" is not a URL' },
      { args: ['healthcheck', '--url', 'bogus'], code: 2, says: '--url: "bogus" is not a URL' },
    ];
    for (const { args, code, says } of cases) {
      const result = await cli(args, {}, 'ignore');
      expect({ args, code: result.code }).toEqual({ args, code });
      expect(result.stderr, args.join(' ')).toContain(says);
      expect(result.stdout, args.join(' ')).toBe('');
    }
    const { body } = await getJson<{ entries: unknown[] }>(target.url, '/api/logs?q=shipped&limit=10');
    expect(body.entries).toEqual([]);
  });

  it('healthcheck: 0 when the server at LIVELOG_URL is ready, 1 when nothing answers', async () => {
    expect((await cli(['healthcheck'], { LIVELOG_URL: target.url })).code).toBe(0);
    expect((await cli(['healthcheck', '--url', 'http://127.0.0.1:9', '--timeout', '2000'])).code).toBe(1);
  });

  it('healthcheck --timeout takes a duration like every other flag (500ms, 2s, 1m; bare digits are ms), else exits 2', async () => {
    // Short timeouts meet a server that takes the connection and never answers: each must give up
    // (exit 1, "due to timeout") well inside the test's time, so it was read as that short duration
    // and not refused. Asking a real server to answer within 500 ms failed at load 30 (exit 1).
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      for (const timeout of ['500ms', '2s', '1500']) {
        const { code, stderr } = await cli(['healthcheck', '--url', `http://127.0.0.1:${port}`, '--timeout', timeout]);
        expect({ timeout, code }).toEqual({ timeout, code: 1 });
        expect(stderr, timeout).toContain('due to timeout');
      }
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
    expect((await cli(['healthcheck', '--url', target.url, '--timeout', '1m'])).code).toBe(0);
    for (const timeout of ['0', '0s', '-1s', '2 s', '2sec']) {
      const { code, stderr } = await cli(['healthcheck', '--url', target.url, '--timeout', timeout]);
      expect(code, timeout).toBe(2);
      expect(stderr, timeout).toContain('--timeout must be a positive duration');
    }
  });

  it('verify --timeout must be a positive duration (0 would give up before reading), else exits 2', async () => {
    for (const timeout of ['0', '0s', '-1s', 'soon']) {
      const { code, stderr } = await cli(['verify', target.url, '--count', '10', '--cuts', '0', '--timeout', timeout]);
      expect(code, timeout).toBe(2);
      expect(stderr, timeout).toContain('--timeout a positive duration');
    }
  });

  it('LIVELOG_HEALTHCHECK_TIMEOUT and LIVELOG_VERIFY_TIMEOUT set --timeout and are checked like it', async () => {
    expect((await cli(['healthcheck', '--url', target.url], { LIVELOG_HEALTHCHECK_TIMEOUT: '2s' })).code).toBe(0);
    expect((await cli(['healthcheck', '--url', target.url], { LIVELOG_HEALTHCHECK_TIMEOUT: '0' })).code).toBe(2);
    expect((await cli(['verify', target.url, '--count', '10', '--cuts', '0'], { LIVELOG_VERIFY_TIMEOUT: '0s' })).code).toBe(2);
    const ok = await cli(['verify', target.url, '--count', '20', '--batch', '5', '--cuts', '0', '--json'], {
      LIVELOG_VERIFY_TIMEOUT: '30s',
    });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ passed: true });
  });
});

describe('help', () => {
  it('shows examples for every command, in one section, and states each default once', async () => {
    for (const command of ['', ...COMMANDS, 'streams']) {
      const { code, stdout } = await cli(command === '' ? ['--help'] : [command, '--help']);
      expect(code, command).toBe(0);
      expect(stdout, command).toMatch(/\nExamples:\n {2}\$ .*livelog /);
      // A command's own examples and the shared list once both printed, as two "Examples:" sections.
      expect(stdout.match(/^Examples:$/gm)?.length, command).toBe(1);
      // Help wraps lines; join each option's lines before looking for a doubled default.
      for (const option of stdout.split(/\n(?= {2}-)/)) {
        expect(option.match(/\bdefault\b/g)?.length ?? 0, `${command}: ${option}`).toBeLessThanOrEqual(1);
        expect(option, command).not.toMatch(/\(default: (false|\[\])/);
      }
    }
  });

  it('serve --help names the special values configuration.md gives: unlimited retention, * for any host', async () => {
    const { stdout } = await cli(['serve', '--help']);
    // Options wrap over several lines: one line each, before looking for a value.
    const options = stdout.split(/\n(?= {2}-)/).map((text) => text.replace(/\s+/g, ' '));
    const option = (flag: string): string => options.find((text) => text.includes(`${flag} `)) ?? '';
    for (const flag of ['--retain-entries', '--retain-bytes', '--retain-age']) expect(option(flag), flag).toMatch(/\bunlimited\b/);
    expect(option('--allowed-host')).toMatch(/\* for any/);
  });
});

describe('variables', () => {
  it('LIVELOG_URL names the server for run and pipe too; LIVELOG_SERVER still works, with a warning', async () => {
    const dir = await tempDir();
    cleanups.push(dir.remove);
    const { code, stderr } = await cli(['run', '--name', 'via-url', '--', 'echo', 'hello via LIVELOG_URL'], { LIVELOG_URL: target.url });
    expect(code).toBe(0);
    expect(stderr).not.toContain('deprecated');
    const old = await cli(['run', '--name', 'via-server', '--', 'echo', 'hello via LIVELOG_SERVER'], { LIVELOG_SERVER: target.url });
    expect(old.code).toBe(0);
    expect(old.stderr).toContain('LIVELOG_SERVER is deprecated; set LIVELOG_URL');
    const { body } = await getJson<{ entries: { source: string; msg: string }[] }>(
      target.url,
      '/api/logs?source=via-url,via-server&limit=100',
    );
    expect(body.entries.filter((entry) => !entry.msg.startsWith('started') && !entry.msg.startsWith('exited'))).toMatchObject([
      { source: 'via-url', msg: 'hello via LIVELOG_URL' },
      { source: 'via-server', msg: 'hello via LIVELOG_SERVER' },
    ]);
  });

  it('serve takes its accepted tokens from LIVELOG_TOKENS; LIVELOG_TOKEN still works there, with a warning', async () => {
    for (const [variable, warns] of [
      ['LIVELOG_TOKENS', false],
      ['LIVELOG_TOKEN', true],
    ] as const) {
      const dir = await tempDir();
      cleanups.push(dir.remove);
      const server = await spawnServer({ dataDir: dir.path, env: { [variable]: 'reader-secret-42:read' } });
      cleanups.push(async () => void (await server.kill()));
      expect((await fetch(`${server.url}/api/logs`)).status, variable).toBe(401);
      expect((await fetch(`${server.url}/api/logs`, { headers: { authorization: 'Bearer reader-secret-42' } })).status).toBe(200);
      expect(server.output().includes('LIVELOG_TOKEN as the accepted tokens is deprecated'), variable).toBe(warns);
      // The client side of the same word: tail presents LIVELOG_TOKEN.
      const tail = await cli(['tail', server.url, '--no-follow', '-n', 'all', '-o', 'raw'], { LIVELOG_TOKEN: 'reader-secret-42' });
      expect(tail.code).toBe(0);
      await server.kill();
    }
  });

  // Regression: commander reads an option's variable whenever it exists, so `LIVELOG_URL=` (a compose
  // file's blank) was the URL "": healthcheck exited 2, and run refused an empty LIVELOG_NAME or LIVELOG_TIME.
  it('an empty LIVELOG_* variable counts as unset in every command; run hands it on to the program as it was', async () => {
    const port = new URL(target.url).port;
    const health = await cli(['healthcheck'], { LIVELOG_URL: '', LIVELOG_PORT: port, LIVELOG_HEALTHCHECK_TIMEOUT: '' });
    expect([health.code, health.stderr]).toEqual([0, '']);
    expect(health.stdout).toBe(`ready: http://127.0.0.1:${port}/readyz\n`);
    const blanks = {
      LIVELOG_NAME: '',
      LIVELOG_TIME: '',
      LIVELOG_FLUSH_TIMEOUT: '',
      LIVELOG_STREAM: '',
      LIVELOG_TOKEN: '',
      LIVELOG_SPOOL: '',
    };
    // The shell's own expansion: [] when the variable is set and empty, [unset] when it is not set.
    const script = 'echo "blank-run sees [$' + '{LIVELOG_NAME-unset}]"';
    const run = await cli(['run', '--', 'sh', '-c', script], { ...blanks, LIVELOG_URL: target.url });
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toBe('blank-run sees []\n');
    const { body } = await getJson<{ entries: { source: string; msg: string }[] }>(target.url, '/api/logs?q=blank-run&limit=10');
    expect(body.entries.filter((entry) => entry.msg.startsWith('blank-run'))).toMatchObject([{ source: 'sh', msg: 'blank-run sees []' }]);
    const tail = await cli(['tail', '--no-follow', '-n', '1', '-o', 'raw', '-i', '^blank-run'], { ...blanks, LIVELOG_URL: target.url });
    expect([tail.code, tail.stdout]).toEqual([0, 'blank-run sees []\n']);
  });
});
