import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, realpath, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '@livelog/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** The folder of a package as Node finds it from `fromDir` (exports maps need not list package.json). */
async function packageDir(name: string, fromDir: string): Promise<string> {
  for (let dir = fromDir; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpath(candidate);
  }
  throw new Error(`${name} is not installed`);
}

/**
 * An install of livelog without the optional Redis support: a copy of the CLI in a folder of its own,
 * beside links to its required dependencies only, so nothing above it can resolve `@livelog/redis`.
 * With `redisWithoutClient`, `@livelog/redis` is there but its `@redis/client` is not.
 */
async function installWithoutRedis(root: string, options: { redisWithoutClient?: boolean } = {}): Promise<string> {
  const modules = join(root, 'node_modules');
  const cliDir = await realpath(dirname(require.resolve('livelog/package.json')));
  const copy = async (from: string, to: string): Promise<void> => {
    await mkdir(to, { recursive: true });
    await cp(join(from, 'package.json'), join(to, 'package.json'));
    await cp(join(from, 'dist'), join(to, 'dist'), { recursive: true });
  };
  await copy(cliDir, join(modules, 'livelog'));
  // Every required dependency the CLI declares, and nothing else: the optional peer stays out.
  const manifest = JSON.parse(await readFile(join(cliDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const required = Object.keys(manifest.dependencies);
  for (const name of required) {
    const target = join(modules, name);
    await mkdir(dirname(target), { recursive: true });
    await symlink(await packageDir(name, cliDir), target, 'dir');
  }
  if (options.redisWithoutClient) await copy(await packageDir('@livelog/redis', cliDir), join(modules, '@livelog', 'redis'));
  return join(modules, 'livelog', 'dist', 'bin.js');
}

describe('livelog serve without the optional Redis support', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  for (const [label, options, missing] of [
    ['@livelog/redis is not installed', {}, '@livelog/redis'],
    ['@livelog/redis is installed but @redis/client is not', { redisWithoutClient: true }, '@redis/client'],
  ] as const) {
    it(`says what to install and exits 1 when ${label}`, async () => {
      const root = await tempDir('livelog-no-redis-');
      cleanups.push(root.remove);
      const bin = await installWithoutRedis(root.path, options);
      // The same install serves SQLite: only Redis is missing.
      await expect(run(process.execPath, [bin, '--version'])).resolves.toMatchObject({ stdout: expect.stringMatching(/\d+\.\d+\.\d+/) });
      const failure = await run(process.execPath, [bin, 'serve', '--port', '0', '--store', 'redis://127.0.0.1:6379/0?key=never'], {
        cwd: root.path,
        timeout: 20_000,
      }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failure?.code).toBe(1);
      expect(failure?.stderr).toContain(`${missing} cannot be found`);
      expect(failure?.stderr).toContain('npm install @livelog/redis');
      expect(failure?.stderr).toContain('[LIVELOG_ERR_CONFIG_INVALID]');
    });
  }
});
