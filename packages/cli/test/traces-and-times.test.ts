import { openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogEntry } from '@livelog/protocol';
import { startServer, type TestServer, tempDir, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { livelog, nodeScript } from './support/livelog-process.js';

let server: TestServer;
let files: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  // The corpus is dated 2024; age retention counts from an entry's time and would prune it at once.
  server = await startServer({ retainAge: 'unlimited' });
  files = await tempDir('livelog-traces-');
});
afterAll(async () => {
  await server.close();
  await files.remove();
});

async function entriesOf(source: string): Promise<LogEntry[]> {
  const page = await server.store.read({ after: 0, limit: 5000, filter: { sources: [source] } });
  return page.entries.map((stored) => JSON.parse(stored.json) as LogEntry);
}

async function stdinFile(name: string, text: string): Promise<number> {
  const path = join(files.path, name);
  await writeFile(path, text);
  return openSync(path, 'r');
}

const corpus = (name: string) => readFile(new URL(`../../core/test/trace-corpus/${name}`, import.meta.url), 'utf8');

test('run: an uncaught Node error on stderr is one entry at error with its frames; --no-multiline gives one per line', async () => {
  const script = `console.log('[INFO] working'); setTimeout(() => { throw new TypeError('boom'); }, 1);`;
  const run = livelog(['run', '--server', server.url, '--name', 'node-crash', ...nodeScript(script)]);
  expect((await run.exited).code).toBe(1);
  const fromStderr = (entries: LogEntry[]) => entries.filter((entry) => entry.fields?.stream === 'stderr');
  const entries = await entriesOf('node-crash');
  expect(entries.filter((entry) => entry.fields?.stream === undefined && entry.fields?.event === undefined)).toMatchObject([
    { msg: '[INFO] working', level: 'info' },
  ]);
  const [crash, ...more] = fromStderr(entries);
  expect(more).toEqual([]);
  expect(crash?.msg).toBe(run.stderr().replace(/\n$/, ''));
  expect(crash?.level).toBe('error');
  expect(crash?.msg).toMatch(/^\[eval\]:1\n.*\n *\^\n\nTypeError: boom\n {4}at Timeout\._onTimeout .*\n[\s\S]*\n\nNode\.js v\d+/);

  const lines = livelog(['run', '--server', server.url, '--name', 'node-crash-lines', '--no-multiline', ...nodeScript(script)]);
  expect((await lines.exited).code).toBe(1);
  expect(fromStderr(await entriesOf('node-crash-lines')).map((entry) => entry.msg)).toEqual(lines.stderr().replace(/\n$/, '').split('\n'));
});

test('run: a trace followed by silence is shipped after ~100 ms, while the program still runs', async () => {
  const script = `
    console.error('[ERROR] request failed');
    console.error('    at handler (/srv/app/server.js:10:5)');
    process.stdin.resume();
    process.stdin.on('end', () => { console.error('[INFO] stopping'); process.exit(0); });`;
  const run = livelog(['run', '--server', server.url, '--name', 'quiet', ...nodeScript(script)], { stdin: 'pipe' });
  await waitFor(async () => (await entriesOf('quiet')).some((entry) => entry.msg.startsWith('[ERROR]')), {
    what: 'the trace to be shipped before the program ends',
  });
  expect(run.child.exitCode).toBeNull();
  run.child.stdin?.end();
  expect(await run.exited).toEqual({ code: 0, signal: null });
  expect((await entriesOf('quiet')).slice(1, -1).map((entry) => entry.msg)).toEqual([
    '[ERROR] request failed\n    at handler (/srv/app/server.js:10:5)',
    '[INFO] stopping',
  ]);
});

test('pipe: the Java, Python and Go corpus files become one entry per trace, the lines kept exactly', async () => {
  const cases: [string, number[]][] = [
    ['java-printstacktrace.txt', [1, 14, 1, 3, 1]],
    ['python-errors.txt', [1, 26, 1, 17]],
    ['go-panic.txt', [1, 17, 1]],
  ];
  for (const [name, sizes] of cases) {
    const text = await corpus(name);
    const source = name.replace('.txt', '');
    const pipe = livelog(['pipe', '--server', server.url, '--source', source], { stdin: await stdinFile(name, text) });
    expect(await pipe.exited).toEqual({ code: 0, signal: null });
    const entries = await entriesOf(source);
    expect(entries.map((entry) => entry.msg.split('\n').length)).toEqual(sizes);
    expect(entries.map((entry) => entry.msg).join('\n')).toBe(text.replace(/\n$/, ''));
  }
  expect((await entriesOf('go-panic'))[1]).toMatchObject({ level: 'fatal', msg: expect.stringMatching(/^panic: runtime error/) });
  const pipe = livelog(['pipe', '--server', server.url, '--source', 'java-lines', '--no-multiline'], {
    stdin: await stdinFile('java-lines.txt', await corpus('java-printstacktrace.txt')),
  });
  expect(await pipe.exited).toEqual({ code: 0, signal: null });
  expect((await entriesOf('java-lines')).length).toBe(20);
});

test('pipe: lines keep the time they start with (ISO 8601, common log, syslog, Go), the read time in fields.receivedAt', async () => {
  const base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  const at = (offsetS: number) => new Date(base + offsetS * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const month = (date: Date) => date.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const utcClock = (date: Date) => `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  const localClock = (date: Date) => `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  const localMonth = (date: Date) => date.toLocaleString('en-US', { month: 'short' });
  const lines = [
    `${at(1).toISOString()} INFO iso`,
    `10.0.0.1 - - [${pad(at(2).getUTCDate())}/${month(at(2))}/${at(2).getUTCFullYear()}:${utcClock(at(2))} +0000] "GET / HTTP/1.1" 200 5`,
    `${localMonth(at(3))} ${String(at(3).getDate()).padStart(2, ' ')} ${localClock(at(3))} host sshd[1]: syslog`,
    `${at(4).getFullYear()}/${pad(at(4).getMonth() + 1)}/${pad(at(4).getDate())} ${localClock(at(4))} go log`,
    'no time here',
  ];
  const before = Date.now();
  const pipe = livelog(['pipe', '--server', server.url, '--source', 'stamped'], {
    stdin: await stdinFile('stamped.txt', `${lines.join('\n')}\n`),
  });
  expect(await pipe.exited).toEqual({ code: 0, signal: null });
  const entries = await entriesOf('stamped');
  expect(entries.map((entry) => entry.time).slice(0, 4)).toEqual([1, 2, 3, 4].map((offset) => base + offset * 1000));
  expect(entries.slice(0, 4).every((entry) => (entry.fields?.receivedAt as number) >= before)).toBe(true);
  expect(entries[4]?.time).toBeGreaterThanOrEqual(before);
  expect(entries[4]?.fields).toBeUndefined();

  const received = livelog(['pipe', '--server', server.url, '--source', 'stamped-received', '--time', 'received'], {
    stdin: await stdinFile('stamped-received.txt', `${lines.join('\n')}\n`),
  });
  expect(await received.exited).toEqual({ code: 0, signal: null });
  expect((await entriesOf('stamped-received')).every((entry) => entry.time >= before && entry.fields === undefined)).toBe(true);

  const bad = livelog(['pipe', '--server', server.url, '--time', 'producer'], { stdin: 'ignore' });
  expect(await bad.exited).toEqual({ code: 2, signal: null });
  expect(bad.stderr()).toBe('livelog pipe: --time must be line or received, got "producer"\n');
});
