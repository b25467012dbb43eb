import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, openSse, type SseConnection, tempDir, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishablePackages, REPO_ROOT } from './workspace.js';

const exec = promisify(execFile);

/** What `npm pack --json` says of one tarball. */
interface PackResult {
  name: string;
  version: string;
  filename: string;
  files: { path: string }[];
}

const packages = publishablePackages();
let work: { path: string; remove: () => Promise<void> };
let packed: PackResult[] = [];
let app: string;
let server: ChildProcess | undefined;
let serverOutput = '';
let url: string;

/**
 * The workspace's better-sqlite3 addon, copied into the install when the versions match. The registry
 * is reachable here but not the host of its prebuilt binaries, so installing it for real compiles
 * C++ for minutes; the addon is the same file either way. LIVELOG_PACK_TEST_REBUILD=1 compiles it.
 */
async function provideSqliteAddon(appDir: string): Promise<void> {
  const installed = join(appDir, 'node_modules', 'better-sqlite3');
  const workspace = join(REPO_ROOT, 'node_modules', 'better-sqlite3');
  const addon = join('build', 'Release', 'better_sqlite3.node');
  const version = (dir: string): string => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  if (process.env.LIVELOG_PACK_TEST_REBUILD !== '1' && existsSync(join(workspace, addon)) && version(workspace) === version(installed)) {
    await mkdir(join(installed, 'build', 'Release'), { recursive: true });
    copyFileSync(join(workspace, addon), join(installed, addon));
    return;
  }
  await exec('npm', ['rebuild', 'better-sqlite3'], { cwd: appDir, timeout: 15 * 60_000 });
}

beforeAll(async () => {
  work = await tempDir('livelog-pack-');
  const tarballs = join(work.path, 'tarballs');
  await mkdir(tarballs);
  // --ignore-scripts: `prepack` would rebuild every package; the test command builds first (`npm run build`).
  const { stdout } = await exec(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs, ...packages.flatMap((pkg) => ['-w', pkg.name])],
    { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 },
  );
  packed = JSON.parse(stdout) as PackResult[];

  app = join(work.path, 'app');
  await mkdir(app);
  await writeFile(join(app, 'package.json'), `${JSON.stringify({ name: 'livelog-install-check', private: true, type: 'module' })}\n`);
  const files = readdirSync(tarballs).map((name) => join(tarballs, name));
  // Our packages from the tarballs, third-party ones from the registry (through npm's cache). Install
  // scripts off: better-sqlite3 is the only one that matters, and provideSqliteAddon deals with it.
  await exec('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', ...files], {
    cwd: app,
    timeout: 5 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  await provideSqliteAddon(app);
}, 10 * 60_000);

afterAll(async () => {
  if (server?.pid !== undefined && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server?.once('exit', resolve));
    // npx runs the server in a child (through a shell): kill the whole group the test started, not only npx.
    process.kill(-server.pid, 'SIGKILL');
    await exited;
  }
  await work?.remove();
});

describe('every publishable package, packed and installed from its tarball', () => {
  it('packs each one with its LICENSE, README, built code and no tests', () => {
    expect(packed.map((result) => result.name).sort()).toEqual(packages.map((pkg) => pkg.name).sort());
    const license = readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8');
    for (const result of packed) {
      const paths = result.files.map((file) => file.path);
      const dir = packages.find((pkg) => pkg.name === result.name)?.dir ?? '';
      expect(paths, result.name).toContain('LICENSE');
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8'), `${result.name}'s LICENSE is the repository's`).toBe(license);
      expect(paths, result.name).toContain('README.md');
      expect(
        paths.some((path) => path.startsWith('dist/') && path.endsWith('.js')),
        result.name,
      ).toBe(true);
      expect(
        paths.filter((path) => /\.test\.[jt]s$/.test(path)),
        result.name,
      ).toEqual([]);
    }
    const consoleFiles = packed.find((result) => result.name === '@livelog/console')?.files.map((file) => file.path);
    expect(consoleFiles).toContain('dist/custom-elements.json');
    expect(consoleFiles).toContain('react.d.ts');
    // The server ships the built console itself (issue 9, item 8): no dependency on @livelog/console.
    const server = packed.find((result) => result.name === '@livelog/server');
    expect(server?.files.map((file) => file.path)).toContain('console/app/index.html');
    expect(server?.files.map((file) => file.path)).toContain('console/livelog-console.js');
  });

  it('declares what a registry page and `npm publish` need, in every installed package.json', () => {
    for (const { name } of packages) {
      const manifest = JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8')) as Record<string, unknown>;
      expect(manifest, name).toMatchObject({
        license: 'MIT',
        repository: { type: 'git', url: expect.stringMatching(/^git\+https:/), directory: expect.stringMatching(/^packages\//) },
        homepage: expect.stringMatching(/^https:/),
        bugs: { url: expect.stringMatching(/^https:/) },
        publishConfig: { access: 'public' },
        engines: { node: '>=20.19' },
        scripts: { prepack: expect.any(String) },
      });
    }
  });

  it('installs without pulling the console or its source dependencies in with the server', () => {
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules/@livelog/server/package.json'), 'utf8')) as Record<
      string,
      Record<string, string> | undefined
    >;
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
      expect(Object.keys(manifest[field] ?? {}), field).not.toContain('@livelog/console');
      expect(Object.keys(manifest[field] ?? {}), field).not.toContain('lit');
    }
  });

  it('runs `npx livelog --version` with the version of package.json', async () => {
    const { stdout } = await exec('npx', ['--no', '--', 'livelog', '--version'], { cwd: app });
    expect(stdout.trim()).toBe(packed.find((result) => result.name === 'livelog')?.version);
  });

  it('serves with `npx livelog serve`: /healthz, the console page and its assets, one ingest + stream round trip', async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // No LIVELOG_* from the outer environment: the install must work with its defaults.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('LIVELOG_')));
    server = spawn('npx', ['--no', '--', 'livelog', 'serve', '--port', String(port), '--data', join(app, 'data'), '--log-format', 'json'], {
      cwd: app,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that afterAll can end npx and the server under it together.
      detached: true,
    });
    server.stdout?.on('data', (chunk: Buffer) => {
      serverOutput += chunk.toString();
    });
    server.stderr?.on('data', (chunk: Buffer) => {
      serverOutput += chunk.toString();
    });
    await waitFor(
      async () => {
        if (server?.exitCode !== null) throw new Error(`livelog serve exited:\n${serverOutput}`);
        return (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true;
      },
      { timeoutMs: 60_000 },
    );
    const health = await fetch(`${url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });

    // The real console, not the placeholder page, and one of its hashed assets, compressed and immutable.
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<livelog-app>');
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${url}/${script}`, { headers: { 'accept-encoding': 'br' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-encoding')).toBe('br');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');

    // A live reader first, then one batch: the reader must get exactly those entries, with the ids the ingest answered.
    const received: { id: string; msg: string }[] = [];
    let hello = false;
    const stream: SseConnection = openSse(
      `${url}/api/stream`,
      {},
      {
        onEvent: (message) => {
          if (message.type === 'hello') hello = true;
          else if (message.type === 'message') received.push(JSON.parse(message.data));
        },
      },
    );
    try {
      await waitFor(() => hello, { timeoutMs: 10_000 });
      const reply = await fetch(`${url}/api/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: '{"msg":"from the tarball 1","source":"pack"}\n{"msg":"from the tarball 2","source":"pack"}\n',
      });
      expect(reply.status).toBe(200);
      const answer = (await reply.json()) as { accepted: number; firstId: string; lastId: string };
      expect(answer.accepted).toBe(2);
      await waitFor(() => received.length >= 2, { timeoutMs: 10_000 });
      expect(received.map((entry) => [entry.id, entry.msg])).toEqual([
        [answer.firstId, 'from the tarball 1'],
        [answer.lastId, 'from the tarball 2'],
      ]);
    } finally {
      stream.close();
    }
  });
});
