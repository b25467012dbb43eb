import { execFile } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { LogEntry } from '@livelog/protocol';
import { cliPath, startServer, type TestServer, tempDir } from '@livelog/test-utils';
import { afterAll, beforeAll, expect, test } from 'vitest';

// The examples of docs/guides/shipping-logs.md and of the pino and winston READMEs, run as written
// (only the package names are pointed at this checkout) against a real server.
const run = promisify(execFile);
const require = createRequire(import.meta.url);
const root = new URL('../../../', import.meta.url);
let server: TestServer;
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  server = await startServer();
  dir = await tempDir('livelog-guide-');
});
afterAll(async () => {
  await server.close();
  await dir.remove();
});

async function blocks(path: string, language: string): Promise<string[]> {
  const text = await readFile(new URL(path, root), 'utf8');
  return [...text.matchAll(new RegExp(`\`\`\`${language}(?: example)?\\n([\\s\\S]*?)\`\`\``, 'g'))].map((match) => match[1] as string);
}

/** Bare package names as absolute file references, since the example runs from a temporary directory. */
function pointed(code: string): string {
  let out = code;
  for (const name of ['@livelog/client', '@livelog/winston', 'winston', 'pino']) {
    out = out.replaceAll(`from '${name}'`, `from '${pathToFileURL(require.resolve(name)).href}'`);
  }
  return out.replaceAll("'@livelog/pino'", JSON.stringify(require.resolve('@livelog/pino')));
}

async function runExample(name: string, code: string): Promise<{ entries: LogEntry[]; stdout: string }> {
  const before = (await server.store.bounds()).last;
  const file = join(dir.path, name);
  await writeFile(file, pointed(code));
  const { stdout } = await run(process.execPath, [file], { env: { ...process.env, LIVELOG_URL: server.url }, timeout: 30_000 });
  const entries = (await server.store.readAfter(before, 10_000)).map((stored) => JSON.parse(stored.json) as LogEntry);
  return { entries, stdout };
}

const pinoExpected = [
  { msg: 'request served', level: 'info', source: 'api', fields: { route: '/orders', ms: 12, name: 'api' } },
  { msg: 'slow query', level: 'warn', source: 'api', fields: { requestId: 'r-1' } },
  { msg: 'payment failed', level: 'error', source: 'api', fields: { err: { type: 'Error', message: 'card declined' } } },
];
const winstonExpected = [
  { msg: 'invoice sent', level: 'info', source: 'billing', fields: { invoice: 1042, service: 'billing' } },
  { msg: 'ledger locked', level: 'error', source: 'billing', fields: { stack: expect.stringContaining('Error: ledger locked') } },
];

test('the guide: "try it" with livelog run and livelog pipe', async () => {
  const [tryIt] = await blocks('docs/guides/shipping-logs.md', 'sh');
  const bin = join(dir.path, 'bin');
  await run('mkdir', ['-p', bin]);
  await writeFile(join(bin, 'livelog'), `#!/bin/sh\nexec "${process.execPath}" "${cliPath()}" "$@"\n`);
  await chmod(join(bin, 'livelog'), 0o755);
  const before = (await server.store.bounds()).last;
  const script = (tryIt as string).replace('http://127.0.0.1:7600', server.url);
  const { stdout, stderr } = await run('sh', ['-c', script], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  expect(stdout).toBe('listening on :3000\n');
  expect(stderr).toBe('WARN: cache is cold\n');
  const entries = (await server.store.readAfter(before, 100)).map((stored) => JSON.parse(stored.json) as LogEntry);
  expect(entries.map(({ msg, level, source }) => ({ msg, level, source }))).toEqual([
    { msg: expect.stringMatching(/^started: node -e/), level: 'info', source: 'demo' },
    expect.objectContaining({ msg: expect.stringMatching(/^listening on :3000$|^WARN: cache is cold$/) }),
    expect.objectContaining({ msg: expect.stringMatching(/^listening on :3000$|^WARN: cache is cold$/) }),
    { msg: 'exited with code 0', level: 'info', source: 'demo' },
    { msg: 'first', level: 'info', source: 'demo' },
    { msg: '[ERROR] second', level: 'error', source: 'demo' },
  ]);
  expect(entries.find((entry) => entry.msg === 'WARN: cache is cold')?.level).toBe('warn');
});

test('the guide: the shipper example', async () => {
  const [ship] = await blocks('docs/guides/shipping-logs.md', 'js');
  const { entries, stdout } = await runExample('ship.mjs', ship as string);
  expect(stdout).toBe('acknowledged 1001 of 1001, complete: true\n');
  expect(entries.length).toBe(1001);
  expect(entries[0]).toMatchObject({ msg: 'order 1 paid', level: 'info', source: 'checkout', fields: { orderId: 1 } });
  expect(entries[1000]).toMatchObject({ msg: 'card declined', level: 'error', fields: { err: { type: 'Error' } } });
});

test.each([
  ['the guide', 'docs/guides/shipping-logs.md', 1],
  ['the README', 'packages/pino/README.md', 0],
])('%s: the pino example', async (_name, path, index) => {
  const code = (await blocks(path, 'js'))[index] as string;
  expect(code).toContain("target: '@livelog/pino'");
  const { entries } = await runExample('pino-app.mjs', code);
  expect(entries).toMatchObject(pinoExpected);
});

test.each([
  ['the guide', 'docs/guides/shipping-logs.md', 2],
  ['the README', 'packages/winston/README.md', 0],
])('%s: the winston example', async (_name, path, index) => {
  const code = (await blocks(path, 'js'))[index] as string;
  expect(code).toContain('new LivelogTransport(');
  const { entries } = await runExample('winston-app.mjs', code);
  expect(entries).toMatchObject(winstonExpected);
});

test('the @livelog/client README: the shipper snippet', async () => {
  const code = (await blocks('packages/client/README.md', 'js')).find((block) => block.includes('createShipper')) as string;
  const { entries } = await runExample('client-readme.mjs', code.replace("'http://127.0.0.1:7600'", JSON.stringify(server.url)));
  expect(entries).toMatchObject([{ msg: 'order 1042 paid', level: 'info', source: 'checkout', fields: { orderId: 1042 } }]);
});
