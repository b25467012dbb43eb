import { existsSync, openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogEntry } from '@livelog/protocol';
import { freePort, startServer, type TestServer, tempDir, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { livelog } from './support/livelog-process.js';

let server: TestServer;
let files: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  server = await startServer();
  files = await tempDir('livelog-pipe-');
});
afterAll(async () => {
  await server.close();
  await files.remove();
});

async function file(name: string, text: string): Promise<number> {
  const path = join(files.path, name);
  await writeFile(path, text);
  return openSync(path, 'r');
}

/**
 * Every entry of `source`, page by page: a filtered read stops at its time budget (200 ms) with
 * `hasMore` and a `resume` point, and behind the 1,000,000-line test a loaded machine (load 30)
 * got an empty first page, which one read took for none at all.
 */
async function entriesOf(source: string) {
  const entries: LogEntry[] = [];
  let after = 0;
  for (;;) {
    const page = await server.store.read({ after, limit: 5000, filter: { sources: [source] } });
    entries.push(...page.entries.map((stored) => JSON.parse(stored.json) as LogEntry));
    if (!page.hasMore) return entries;
    const next = page.resume ?? page.entries[page.entries.length - 1]?.seq ?? after;
    if (next <= after) throw new Error(`a page with hasMore did not move on from ${after}`);
    after = next;
  }
}

test('1,000,000 lines from a file: all stored, in order, each once, with the levels they state', async () => {
  const lines: string[] = [];
  for (let i = 1; i <= 1_000_000; i++) lines.push(i % 1000 === 0 ? `[ERROR] line ${i}` : `line ${i}`);
  const stdin = await file('million.txt', `${lines.join('\n')}\n`);
  const before = (await server.store.bounds()).last;
  // The default --flush-timeout: at the end of stdin up to 16 MiB of lines (~300,000) are buffered, and
  // at load ~20 the server acknowledged 3,000–7,600 lines/s. The limit counts time without an
  // acknowledgement, so a slow but working server is waited for (it counted total time before, and
  // pipe gave up with 92,517 lines unacknowledged).
  const pipe = livelog(['pipe', '--server', server.url, '--source', 'million'], { stdin });
  const started = Date.now();
  const exited = await pipe.exited;
  // Its stderr in the failure message: an exit code alone does not say which limit was hit.
  expect(exited, `pipe ran ${Date.now() - started} ms; its stderr: ${pipe.stderr()}`).toEqual({ code: 0, signal: null });
  // A retry notice ("cannot deliver ...; retrying") is allowed on a loaded machine; a loss or a refusal is not.
  expect(pipe.stderr()).not.toMatch(/lost|refused|not acknowledged/);
  const bounds = await server.store.bounds();
  expect(bounds.last - before).toBe(1_000_000);
  let seq = before;
  let mismatch: string | undefined;
  for (;;) {
    const page = await server.store.readAfter(seq, 50_000);
    if (page.length === 0) break;
    for (const stored of page) {
      const entry = JSON.parse(stored.json) as { msg: string; level: string; source: string };
      const i = stored.seq - before;
      const msg = i % 1000 === 0 ? `[ERROR] line ${i}` : `line ${i}`;
      const level = i % 1000 === 0 ? 'error' : 'info';
      if (entry.msg !== msg || entry.level !== level || entry.source !== 'million') {
        mismatch = `seq ${stored.seq}: ${stored.json}, expected ${msg} at ${level}`;
        break;
      }
    }
    if (mismatch !== undefined) break;
    seq = page[page.length - 1]?.seq ?? seq;
  }
  expect(mismatch).toBeUndefined();
  expect(seq - before).toBe(1_000_000);
  // 10 min, bounded: at 3,000 lines/s (load ~20 plus 3 CPU burners, measured) 1,000,000 lines take ~330 s.
}, 600_000);

test('JSON lines (pino output piped in) keep their level, time and fields; --level forces one level on text', async () => {
  const pino = `${JSON.stringify({ level: 50, time: 1_700_000_000_123, pid: 42, hostname: 'box', msg: 'boom' })}\n${JSON.stringify({ level: 'loud', msg: 'not a record livelog takes' })}\nplain text\n`;
  const piped = livelog(['pipe', '--server', server.url, '--source', 'pino-out'], { stdin: await file('pino.ndjson', pino) });
  expect(await piped.exited).toEqual({ code: 0, signal: null });
  expect((await entriesOf('pino-out')).map(({ msg, level, time, fields }) => ({ msg, level, time, fields }))).toEqual([
    { msg: 'boom', level: 'error', time: 1_700_000_000_123, fields: { pid: 42, hostname: 'box' } },
    { msg: '{"level":"loud","msg":"not a record livelog takes"}', level: 'info', time: expect.any(Number), fields: undefined },
    { msg: 'plain text', level: 'info', time: expect.any(Number), fields: undefined },
  ]);
  const forced = livelog(['pipe', '--server', server.url, '--source', 'forced', '--level', 'warn'], {
    stdin: await file('forced.txt', '[ERROR] stays warn\nplain\n'),
  });
  expect(await forced.exited).toEqual({ code: 0, signal: null });
  expect((await entriesOf('forced')).map((entry) => entry.level)).toEqual(['warn', 'warn']);
});

test('invalid UTF-8 is replaced with U+FFFD and the line marked, never dropped; a bare CR stays', async () => {
  const path = join(files.path, 'bytes.txt');
  await writeFile(path, Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(' au lait\r\nspinner |\r/\r-\n')]));
  const piped = livelog(['pipe', '--server', server.url, '--source', 'bytes'], { stdin: openSync(path, 'r') });
  expect(await piped.exited).toEqual({ code: 0, signal: null });
  expect((await entriesOf('bytes')).map(({ msg, fields, invalidUtf8 }) => ({ msg, fields, invalidUtf8 }))).toEqual([
    { msg: 'caf\ufffd au lait', fields: undefined, invalidUtf8: true },
    { msg: 'spinner |\r/\r-', fields: undefined, invalidUtf8: undefined },
  ]);
});

// Regression: a file saved with a byte order mark (Notepad, PowerShell 5) shipped U+FEFF in front of
// its first line, which then no longer started with its time or level.
test('a byte order mark at the start of the input is no part of the first line; U+FEFF further on is kept', async () => {
  const path = join(files.path, 'bom.txt');
  // Recent: the default retention (7 days) would prune an older time at once.
  const time = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString();
  await writeFile(path, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${time} [WARN] first\n\ufeffsecond\n`)]));
  const piped = livelog(['pipe', '--server', server.url, '--source', 'bom', '--no-multiline'], { stdin: openSync(path, 'r') });
  expect(await piped.exited).toEqual({ code: 0, signal: null });
  expect((await entriesOf('bom')).map(({ msg, level, time }) => ({ msg, level, time }))).toEqual([
    { msg: `${time} [WARN] first`, level: 'warn', time: Date.parse(time) },
    { msg: '\ufeffsecond', level: 'info', time: expect.any(Number) },
  ]);
});

test('--spool: lines the server could not take in time stay on disk, and the next pipe sends them first', async () => {
  // Nothing listens on this port: every attempt fails at once, as with a server that is down.
  const down = `http://127.0.0.1:${await freePort()}`;
  const spool = join(files.path, 'spool');
  const text = Array.from({ length: 1000 }, (_, i) => `spooled ${i + 1}`).join('\n');
  const first = livelog(['pipe', '--server', down, '--source', 'spooled', '--spool', spool, '--flush-timeout', '1s'], {
    stdin: await file('first.txt', `${text}\n`),
  });
  expect(await first.exited).toEqual({ code: 1, signal: null });
  expect(first.stderr()).toContain(`cannot deliver to ${down}`);
  expect(first.stderr()).toContain(`1000 line(s) not acknowledged by ${down} yet are kept in ${spool}`);

  const second = livelog(['pipe', '--server', server.url, '--source', 'spooled', '--spool', spool], {
    stdin: await file('second.txt', 'spooled 1001\nspooled 1002\n'),
  });
  expect(await second.exited).toEqual({ code: 0, signal: null });
  expect(second.stderr()).toContain('sending 1000 line(s) left in the spool by an earlier run first');
  expect((await entriesOf('spooled')).map((entry) => entry.msg)).toEqual(Array.from({ length: 1002 }, (_, i) => `spooled ${i + 1}`));
});

// Regression: a spool that cannot be opened was reported twice, by the shipper's spool-error event
// ("spool: cannot open the spool: …") and again by the failure that ends the command.
test('--spool in a place no directory can be made says so once, exits 1 and ships nothing', async () => {
  const piped = livelog(['pipe', '--server', server.url, '--source', 'nospool', '--spool', '/proc/livelog-spool'], {
    stdin: await file('nospool.txt', 'never shipped\n'),
  });
  expect(await piped.exited).toEqual({ code: 1, signal: null });
  const lines = piped.stderr().trimEnd().split('\n');
  expect(lines).toEqual([expect.stringMatching(/^livelog pipe: cannot open the spool: ENOENT: .*'\/proc\/livelog-spool'/)]);
  expect(await entriesOf('nospool')).toEqual([]);
});

// Regression: without --server the embedded server opened its store and bound its port (7600 by
// default) before the spool was found unusable.
test('--spool that cannot be opened, without --server: fails before the embedded server starts', async () => {
  const parent = await tempDir('livelog-pipe-nospool-');
  try {
    const data = join(parent.path, 'data');
    const piped = livelog(['pipe', '--port', String(await freePort()), '--data', data, '--spool', '/proc/livelog-spool'], {
      stdin: await file('nospool-embedded.txt', 'never shipped\n'),
    });
    expect(await piped.exited).toEqual({ code: 1, signal: null });
    // No "console at …" line: the server never listened.
    const lines = piped.stderr().trimEnd().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^livelog pipe: cannot open the spool: ENOENT: .*'\/proc\/livelog-spool'/)]);
    expect(existsSync(data)).toBe(false);
  } finally {
    await parent.remove();
  }
});

test('without --server: an embedded server takes the lines and keeps serving its console until Ctrl-C', async () => {
  const data = await tempDir('livelog-pipe-embedded-');
  try {
    const pipe = livelog(['pipe', '--port', '0', '--data', data.path], { stdin: await file('embedded.txt', 'one\ntwo\n') });
    const url = await waitFor(
      () =>
        /stdin ended after 2 line\(s\), 2 entries stored; console at (http:\S+)\/ until Ctrl-C \(--exit to leave at once\)/.exec(
          pipe.stderr(),
        )?.[1],
      {
        what: 'the embedded console to be announced',
      },
    );
    const page = (await (await fetch(`${url}/api/logs`)).json()) as { entries: { msg: string; source: string }[] };
    expect(page.entries.map(({ msg, source }) => ({ msg, source }))).toEqual([
      { msg: 'one', source: 'stdin' },
      { msg: 'two', source: 'stdin' },
    ]);
    pipe.child.kill('SIGINT');
    expect(await pipe.exited).toEqual({ code: 0, signal: null });
  } finally {
    await data.remove();
  }
});
