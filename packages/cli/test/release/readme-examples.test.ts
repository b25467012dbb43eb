import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { getJson, ingest, type SpawnedServer, spawnServer, tempDir } from '@livelog/test-utils';
import { transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishablePackages, REPO_ROOT } from './workspace.js';

/**
 * Every package README's runnable examples still run (issue 9, Tests). The convention: a fenced block
 * whose info string is `js example` or `ts example` is a complete ES module that ends by itself,
 * talking to the livelog server at LIVELOG_URL (or Redis at 127.0.0.1:6379). Other blocks are excerpts
 * (a server that listens until stopped, a contract suite) and are not run.
 */

const exec = promisify(execFile);

interface Example {
  readme: string;
  index: number;
  lang: 'js' | 'ts';
  code: string;
}

function examplesOf(readme: string): Example[] {
  const text = readFileSync(readme, 'utf8');
  return [...text.matchAll(/^```(js|ts) example\n([\s\S]*?)^```$/gm)].map((match, index) => ({
    readme,
    index,
    lang: match[1] as 'js' | 'ts',
    code: match[2] ?? '',
  }));
}

const examples = publishablePackages().flatMap((pkg) => examplesOf(join(pkg.dir, 'README.md')));
// Under the repository's node_modules, so that bare imports (`@livelog/client`, `pino`) resolve
// to the workspace's packages the way they resolve in an app that installed them.
const scratch = join(REPO_ROOT, 'node_modules', '.cache', 'livelog-readme-examples');
let server: SpawnedServer;
let data: { path: string; remove: () => Promise<void> };
let cwd: { path: string; remove: () => Promise<void> };

beforeAll(async () => {
  data = await tempDir();
  cwd = await tempDir();
  await mkdir(scratch, { recursive: true });
  server = await spawnServer({ dataDir: data.path, logLevel: 'warn' });
  // The client example reads the last 3 entries and the first history page: give it some.
  await ingest(server.url, 5, 'seeded');
});
afterAll(async () => {
  await server?.kill();
  await rm(scratch, { recursive: true, force: true });
  await data?.remove();
  await cwd?.remove();
});

describe('README examples', () => {
  it('finds the examples the convention marks', () => {
    const readmes = new Set(examples.map((example) => relative(REPO_ROOT, example.readme)));
    expect([...readmes].sort()).toEqual(['client', 'pino', 'protocol', 'redis', 'winston'].map((name) => `packages/${name}/README.md`));
  });

  for (const example of examples) {
    const name = `${relative(REPO_ROOT, example.readme)} #${example.index + 1}`;
    it(`${name} runs to its end and exits 0`, async () => {
      const code = example.lang === 'ts' ? (await transform(example.code, { loader: 'ts', format: 'esm' })).code : example.code;
      const file = join(scratch, `${name.replace(/[^a-z0-9]+/gi, '-')}.mjs`);
      await writeFile(file, code);
      const { stdout, stderr } = await exec(process.execPath, [file], {
        cwd: cwd.path,
        env: { ...process.env, LIVELOG_URL: server.url },
        timeout: 30_000,
      }).catch((error: { code: number; stdout: string; stderr: string }) => {
        throw new Error(`${name} exited ${error.code}:\n${error.stdout}\n${error.stderr}`);
      });
      expect(stderr).not.toMatch(/Error|Unhandled/);
      expect(stdout).toBeDefined();
    });
  }

  it('the shipping examples (client shipper, pino, winston) delivered their lines', async () => {
    const { body } = await getJson<{ entries: { source: string; msg: string }[] }>(server.url, '/api/logs?limit=1000');
    const messages = body.entries.map((entry) => `${entry.source}: ${entry.msg}`);
    expect(messages).toContain('checkout: order 1042 paid');
    expect(messages).toContain('api: request served');
    expect(messages.some((message) => message.endsWith(': invoice sent'))).toBe(true);
  });
});
