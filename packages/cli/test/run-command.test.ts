import { SqliteStore } from '@livelog/core';
import type { LogEntry } from '@livelog/protocol';
import { freePort, startServer, type TestServer, tempDir, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { livelog, nodeScript, storedEntries } from './support/livelog-process.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

/** Entries of one run of `livelog run --name <source>`, its start and exit entries included. */
async function entriesOf(source: string): Promise<LogEntry[]> {
  return (await storedEntries(server.store)).filter((entry) => entry.source === source);
}

test('100,000 lines on each stream, written fast: passed through byte for byte, all stored in order with their levels', async () => {
  const script = `
    const block = (prefix, from) => { let s = ''; for (let i = from; i < from + 1000; i++) s += prefix + ' ' + i + '\\n'; return s; };
    for (let n = 0; n < 100000; n += 1000) { process.stdout.write(block('out', n)); process.stderr.write(block('err', n)); }`;
  const run = livelog(['run', '--server', server.url, '--name', 'fast', ...nodeScript(script)]);
  expect(await run.exited).toEqual({ code: 0, signal: null });
  const expected = (prefix: string) => Array.from({ length: 100_000 }, (_, i) => `${prefix} ${i}\n`).join('');
  expect(run.stdout().toString('utf8')).toBe(expected('out'));
  expect(run.stderr()).toBe(expected('err'));

  const entries = await entriesOf('fast');
  expect(entries.length).toBe(200_002);
  const out = entries.filter((entry) => entry.msg.startsWith('out '));
  const err = entries.filter((entry) => entry.msg.startsWith('err '));
  expect(out.map((entry) => entry.msg)).toEqual(Array.from({ length: 100_000 }, (_, i) => `out ${i}`));
  expect(err.map((entry) => entry.msg)).toEqual(Array.from({ length: 100_000 }, (_, i) => `err ${i}`));
  expect(out.every((entry) => entry.level === 'info' && entry.fields === undefined)).toBe(true);
  expect(err.every((entry) => entry.level === 'error' && entry.fields?.stream === 'stderr')).toBe(true);
  expect(entries[0]).toMatchObject({ level: 'info', fields: { event: 'start', command: [process.execPath, '-e', script] } });
  expect(entries.at(-1)).toMatchObject({
    msg: 'exited with code 0',
    level: 'info',
    fields: { event: 'exit', code: 0, signal: null, lines: { stdout: 100_000, stderr: 100_000 } },
  });
}, 60_000);

test('ANSI colours pass through unchanged and are stored unchanged; levels are recognised through them, on either stream', async () => {
  const script = `
    process.stdout.write('\\x1b[31mERROR\\x1b[0m disk full\\n\\x1b[32mready\\x1b[39m on :8080\\n');
    process.stderr.write('\\x1b[33mWARN\\x1b[0m: slow query\\n\\x1b[2mplain stderr\\x1b[22m\\n');`;
  const run = livelog(['run', '--server', server.url, '--name', 'colours', ...nodeScript(script)]);
  expect(await run.exited).toEqual({ code: 0, signal: null });
  expect(run.stdout().toString('utf8')).toBe('\x1b[31mERROR\x1b[0m disk full\n\x1b[32mready\x1b[39m on :8080\n');
  expect(run.stderr()).toBe('\x1b[33mWARN\x1b[0m: slow query\n\x1b[2mplain stderr\x1b[22m\n');
  const lines = (await entriesOf('colours')).slice(1, -1);
  expect(lines.map(({ msg, level }) => ({ msg, level })).sort((a, b) => a.msg.localeCompare(b.msg))).toEqual(
    [
      { msg: '\x1b[31mERROR\x1b[0m disk full', level: 'error' },
      { msg: '\x1b[32mready\x1b[39m on :8080', level: 'info' },
      { msg: '\x1b[33mWARN\x1b[0m: slow query', level: 'warn' },
      { msg: '\x1b[2mplain stderr\x1b[22m', level: 'error' },
    ].sort((a, b) => a.msg.localeCompare(b.msg)),
  );
});

test('a last line without a newline is flushed; CRLF ends a line, a bare CR stays; a 3 MiB line is split, not dropped', async () => {
  const script = `
    process.stdout.write('first\\r\\nprogress 10%\\rprogress 100%\\n' + 'L'.repeat(3 * 1024 * 1024) + '\\n' + 'M'.repeat(100000) + '\\nno newline at the end');
    process.stderr.write('stderr without newline');`;
  const run = livelog(['run', '--server', server.url, '--name', 'partial', ...nodeScript(script)]);
  expect(await run.exited).toEqual({ code: 0, signal: null });
  const lines = (await entriesOf('partial')).slice(1, -1);
  const messages = lines.map((entry) => entry.msg);
  expect(messages).toContain('first');
  expect(messages).toContain('progress 10%\rprogress 100%');
  expect(messages).toContain('no newline at the end');
  expect(messages).toContain('stderr without newline');
  const big = lines.filter((entry) => entry.msg.startsWith('L'));
  expect(big.map((entry) => entry.msg).join('')).toBe('L'.repeat(3 * 1024 * 1024));
  expect(big.map((entry) => entry.part)).toEqual(big.map((_, i) => ({ index: i + 1, count: big.length })));
  // Under the line limit the server splits the message at its limit (64 KiB) into its own parts.
  const medium = lines.filter((entry) => entry.msg.startsWith('M'));
  expect(medium.map((entry) => entry.part)).toEqual([
    { index: 1, count: 2 },
    { index: 2, count: 2 },
  ]);
  expect(medium.map((entry) => entry.msg).join('')).toBe('M'.repeat(100_000));
});

test("the program's exit code is livelog's: exit 3", async () => {
  const run = livelog(['run', '--server', server.url, '--name', 'three', ...nodeScript("console.error('giving up'); process.exit(3)")]);
  expect(await run.exited).toEqual({ code: 3, signal: null });
  const entries = await entriesOf('three');
  expect(entries.map(({ msg, level }) => ({ msg, level }))).toEqual([
    { msg: expect.stringMatching(/^started: /), level: 'info' },
    { msg: 'giving up', level: 'error' },
    { msg: 'exited with code 3', level: 'error' },
  ]);
  expect(entries[2]?.fields).toMatchObject({ event: 'exit', code: 3, signal: null });
});

test('a program killed by a signal: recorded, and livelog dies of the same signal', async () => {
  const run = livelog([
    'run',
    '--server',
    server.url,
    '--name',
    'killed',
    ...nodeScript("console.log('bye'); process.kill(process.pid, 'SIGTERM')"),
  ]);
  expect(await run.exited).toEqual({ code: null, signal: 'SIGTERM' });
  const entries = await entriesOf('killed');
  expect(entries.map((entry) => entry.msg)).toEqual([expect.stringMatching(/^started: /), 'bye', 'killed by SIGTERM']);
  expect(entries[2]).toMatchObject({ level: 'error', fields: { event: 'exit', code: null, signal: 'SIGTERM' } });
});

test('Ctrl-C reaches the program: SIGINT to livelog is forwarded, the program handles it and its exit code comes back', async () => {
  const script = `
    process.on('SIGINT', () => { console.log('got SIGINT, cleaning up'); process.exit(130); });
    console.log('ready');
    setInterval(() => {}, 1000);`;
  const run = livelog(['run', '--server', server.url, '--name', 'ctrl-c', ...nodeScript(script)]);
  await waitFor(() => run.stdout().toString('utf8').includes('ready'), { what: 'the program to start' });
  run.child.kill('SIGINT');
  expect(await run.exited).toEqual({ code: 130, signal: null });
  expect((await entriesOf('ctrl-c')).map((entry) => entry.msg)).toEqual([
    expect.stringMatching(/^started: /),
    'ready',
    'got SIGINT, cleaning up',
    'exited with code 130',
  ]);
});

test('a command that does not exist: exit 127, said on stderr and stored', async () => {
  const run = livelog(['run', '--server', server.url, '--name', 'missing', '--', 'livelog-no-such-command']);
  expect(await run.exited).toEqual({ code: 127, signal: null });
  expect(run.stderr()).toContain('cannot start livelog-no-such-command');
  expect(await entriesOf('missing')).toMatchObject([{ level: 'error', fields: { event: 'exit', code: 127 } }]);
});

test('without --server: the embedded server stores the lines, and keeps serving its console after the command until Ctrl-C', async () => {
  const data = await tempDir('livelog-run-embedded-');
  try {
    const run = livelog([
      'run',
      '--port',
      '0',
      '--data',
      data.path,
      ...nodeScript("console.log('hello from the embedded run'); process.exit(4)"),
    ]);
    const url = await waitFor(
      () => /node exited with code 4; console at (http:\S+)\/ until Ctrl-C \(--exit to leave at once\)\n$/.exec(run.stderr())?.[1],
      // An embedded server and a node child start in ~1 s, but took 22 s on a loaded 2-core machine.
      { what: 'the console to be announced after the command ended', timeoutMs: 45_000 },
    );
    expect(run.stderr()).toMatch(/^livelog run: console at http:\/\/127\.0\.0\.1:\d+\/ \(source "node"\)\n/);
    // The command is over, the console is not: its lines can still be read.
    const page = (await (await fetch(`${url}/api/logs`)).json()) as { entries: LogEntry[] };
    expect(page.entries.map((entry) => entry.msg)).toEqual([
      expect.stringMatching(/^started: /),
      'hello from the embedded run',
      'exited with code 4',
    ]);
    run.child.kill('SIGINT');
    expect(await run.exited).toEqual({ code: 4, signal: null });
    expect(run.stdout().toString('utf8')).toBe('hello from the embedded run\n');
  } finally {
    await data.remove();
  }
});

test('without --server, --exit: livelog leaves with the command, and the lines are in its data directory', async () => {
  const data = await tempDir('livelog-run-embedded-exit-');
  try {
    const run = livelog(['run', '--port', '0', '--data', data.path, '--exit', ...nodeScript("console.log('hello from the embedded run')")]);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stdout().toString('utf8')).toBe('hello from the embedded run\n');
    expect(run.stderr()).toMatch(/^livelog run: console at http:\/\/127\.0\.0\.1:\d+\/ \(source "node"\)\n$/);
    const store = new SqliteStore({ dir: data.path });
    await store.open();
    const messages = (await storedEntries(store)).map((entry) => entry.msg);
    await store.close();
    expect(messages).toEqual([expect.stringMatching(/^started: /), 'hello from the embedded run', 'exited with code 0']);
  } finally {
    await data.remove();
  }
});

test('without --server: a program killed by a signal is served too, then livelog dies of that signal on Ctrl-C', async () => {
  const data = await tempDir('livelog-run-embedded-signal-');
  try {
    const run = livelog(['run', '--port', '0', '--data', data.path, ...nodeScript("process.kill(process.pid, 'SIGTERM')")]);
    await waitFor(() => run.stderr().includes('node was killed by SIGTERM; console at '), {
      what: 'the console to be announced',
      timeoutMs: 45_000,
    });
    run.child.kill('SIGINT');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGTERM' });
  } finally {
    await data.remove();
  }
});

// Regression: with no server to take them, run said the lines were lost and exited 0 (the program's
// code), so a CI step passed with none of its log stored.
test('a server that acknowledges nothing before --flush-timeout makes a succeeding program exit 125; a failing one keeps its code', async () => {
  // Nothing listens on this port: every attempt fails at once, as with a server that is down.
  const down = `http://127.0.0.1:${await freePort()}`;
  const ok = livelog(['run', '--server', down, '--flush-timeout', '1s', ...nodeScript("console.log('nobody hears this')")]);
  expect(await ok.exited).toEqual({ code: 125, signal: null });
  expect(ok.stdout().toString('utf8')).toBe('nobody hears this\n');
  expect(ok.stderr()).toMatch(/line\(s\) were not acknowledged by /);
  expect(ok.stderr()).toMatch(/livelog run: \d+ line\(s\) were not acknowledged; exiting 125 although \S*node exited with code 0$/m);
  const failing = livelog(['run', '--server', down, '--flush-timeout', '1s', ...nodeScript("console.log('nor this'); process.exit(3)")]);
  expect(await failing.exited).toEqual({ code: 3, signal: null });
});

// Regression: run waited for its program's stdout and stderr to close, so a process the program left
// running in the background (`sleep 300 &`), holding them open, kept `livelog run` going until it exited.
test('ends when the program exits, not when processes it left running let go of its output: all it wrote is shipped, and stderr says so', async () => {
  const script = 'sleep 300 & echo "left running $!"; seq 1 50000; echo "to stderr" >&2';
  const run = livelog(['run', '--server', server.url, '--name', 'leftover', '--', 'sh', '-c', script]);
  const leftover = (): number => Number(/left running (\d+)/.exec(run.stdout().toString('utf8'))?.[1]);
  try {
    // Without the fix this waits for the sleep: past the test's timeout.
    expect(await run.exited).toEqual({ code: 0, signal: null });
  } finally {
    if (leftover() > 0) process.kill(leftover());
  }
  const numbers = Array.from({ length: 50_000 }, (_, i) => String(i + 1));
  expect(run.stdout().toString('utf8')).toBe(`left running ${leftover()}\n${numbers.join('\n')}\n`);
  expect(run.stderr()).toBe(
    'to stderr\nlivelog run: sh exited, but processes it started still hold its output open; what they write from now on is not followed\n',
  );
  const entries = await entriesOf('leftover');
  // Two pipes: stderr's line may be read before the end of stdout's.
  const lines = entries.slice(1, -1);
  expect(lines.filter((entry) => entry.fields === undefined).map((entry) => entry.msg)).toEqual([`left running ${leftover()}`, ...numbers]);
  expect(lines.filter((entry) => entry.fields !== undefined)).toMatchObject([{ msg: 'to stderr', fields: { stream: 'stderr' } }]);
  expect(entries.at(-1)).toMatchObject({ msg: 'exited with code 0', fields: { lines: { stdout: 50_001, stderr: 1 } } });
});
