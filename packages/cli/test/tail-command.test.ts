import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogEntry } from '@livelog/protocol';
import { ChaosProxy, freePort, ingest, postLogs, startServer, type TestServer, tempDir, waitFor } from '@livelog/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { type CliRun, runCli } from './tail-support.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(input: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  // retry: is the client's backoff base; a test server suggests a short one. A 1 s heartbeat: the
  // server runs in this test process, and with 100 ms a loaded machine that held it up for 250 ms made
  // tail's watchdog reconnect, which added "resumed after N ms" to stderr the tests compare whole.
  const started = await startServer({ heartbeat: '1s', retry: '10ms', ...input });
  cleanups.push(() => started.close());
  return started;
}
function tail(args: readonly string[], env: Record<string, string | undefined> = {}): CliRun {
  const run = runCli(['tail', ...args], env);
  cleanups.push(() => run.interrupt());
  return run;
}
const numbered = (prefix: string, from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix} ${from + i}`);

describe('livelog tail', () => {
  it('prints every line exactly once while its connection is cut, reports reconnects on stderr, exits 0 on Ctrl-C', async () => {
    // The file's 1 s heartbeat matters here too: with 100 ms, a tail process the loaded machine held up
    // for 250 ms woke to its watchdog, which closed the connection holding the cut's byte budget.
    const target = await server();
    const proxy = await ChaosProxy.start({ port: Number(new URL(target.url).port) });
    cleanups.push(() => proxy.close());
    const run = tail([proxy.url(), '-n', 'all', '-o', 'raw']);
    await ingest(target.url, 50);
    await run.waitLines(50);
    for (let round = 0; round < 5; round++) {
      await waitFor(() => proxy.open > 0, { what: 'the tail connected' });
      const cuts = proxy.cuts;
      if (round % 2 === 0) proxy.cutAll();
      else proxy.cutAllAfter(150 + round * 37); // inside the next event
      await ingest(target.url, 50, `round${round}`);
      await waitFor(() => proxy.cuts > cuts, { what: `cut ${round + 1}` });
    }
    const lines = await run.waitLines(300);
    expect(proxy.cuts).toBeGreaterThanOrEqual(5);
    expect(lines).toEqual(numbered('line', 1, 50).concat(...Array.from({ length: 5 }, (_, round) => numbered(`round${round}`, 1, 50))));
    expect(run.stderr()).toContain('connection lost');
    expect(run.stdout()).not.toContain('connection lost');
    expect(await run.interrupt()).toEqual({ code: 0, signal: null });
  });

  it('continues exactly where the previous run stopped with --cursor-file', async () => {
    const target = await server();
    const dir = await tempDir('livelog-tail-cursor-');
    cleanups.push(() => dir.remove());
    const cursorFile = join(dir.path, 'cursor');
    const args = [target.url, '-n', 'all', '-o', 'raw', '--cursor-file', cursorFile];
    await ingest(target.url, 10, 'first');
    const first = tail(args);
    await first.waitLines(10);
    expect(await first.interrupt()).toEqual({ code: 0, signal: null });
    expect((await readFile(cursorFile, 'utf8')).trim()).toMatch(/:10$/);

    await ingest(target.url, 10, 'second');
    const second = tail(args);
    await second.waitLines(10);
    await ingest(target.url, 5, 'third');
    const lines = await second.waitLines(15);
    expect(await second.interrupt()).toEqual({ code: 0, signal: null });
    expect(lines).toEqual([...numbered('second', 1, 10), ...numbered('third', 1, 5)]);
    expect((await readFile(cursorFile, 'utf8')).trim()).toMatch(/:25$/);
  });

  it('-o json prints NDJSON that parses back to the entries; --no-follow exits by itself', async () => {
    const target = await server();
    await postLogs(
      target.url,
      `${Array.from({ length: 30 }, (_, i) => JSON.stringify({ msg: `m ${i + 1}`, level: i % 2 ? 'warn' : 'info', k: i })).join('\n')}\n`,
    );
    const run = tail([target.url, '--no-follow', '-n', 'all', '-o', 'json']);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    const entries = run.lines().map((line) => JSON.parse(line) as LogEntry);
    expect(entries.map((entry) => entry.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(entries[1]).toMatchObject({ msg: 'm 2', level: 'warn', fields: { k: 1 } });

    const last = tail([target.url, '--no-follow', '-n', '3', '-o', 'raw']);
    expect(await last.exited).toEqual({ code: 0, signal: null });
    expect(last.lines()).toEqual(['m 28', 'm 29', 'm 30']);
  });

  it('filters by --level and --source on the server, -i/-e on the client', async () => {
    const target = await server();
    const records = [
      { msg: 'disk full', level: 'error', source: 'db' },
      { msg: 'disk ok', level: 'info', source: 'db' },
      { msg: 'disk slow', level: 'warn', source: 'db' },
      { msg: 'disk noisy', level: 'warn', source: 'db' },
      { msg: 'disk full', level: 'error', source: 'api' },
    ];
    await postLogs(target.url, `${records.map((record) => JSON.stringify(record)).join('\n')}\n`);
    const run = tail([
      target.url,
      '--no-follow',
      '-n',
      'all',
      '-o',
      'raw',
      '--level',
      'warn',
      '--source',
      'db',
      '-i',
      '^disk',
      '-e',
      'noisy',
    ]);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.lines()).toEqual(['disk full', 'disk slow']);
  });

  it('--query searches on the server in the query language, with -i; a query it cannot read is exit 2', async () => {
    const target = await server();
    const records = [
      { msg: 'disk full', level: 'error', source: 'db', user: { id: 42 } },
      { msg: 'disk ok', level: 'info', source: 'db', user: { id: 42 } },
      { msg: 'Disk full (api)', level: 'error', source: 'api', user: { id: 7 } },
      { msg: 'cpu hot', level: 'warn', source: 'db', user: { id: 42 } },
    ];
    await postLogs(target.url, `${records.map((record) => JSON.stringify(record)).join('\n')}\n`);
    const run = tail([target.url, '--no-follow', '-n', 'all', '-o', 'raw', '--query', 'level:>=warn user.id:42']);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.lines()).toEqual(['disk full', 'cpu hot']);
    const both = tail([target.url, '--no-follow', '-n', '1', '-o', 'raw', '--query', 'full OR hot', '-i', 'Disk']);
    expect(await both.exited).toEqual({ code: 0, signal: null });
    expect(both.lines()).toEqual(['Disk full (api)']);
    const bad = tail([target.url, '--no-follow', '--query', 'a OR']);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr()).toMatch(/--query: OR needs a term after it/);
  });

  it('colours levels like pino-pretty when asked, honouring NO_COLOR and FORCE_COLOR; -t shows times', async () => {
    const target = await server();
    // Recent times: the default retention (7 days) would prune older ones at once.
    const time = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString();
    await postLogs(target.url, `${JSON.stringify({ msg: 'boom', level: 'error', time })}\n`);
    const run = async (args: string[], env: Record<string, string> = {}): Promise<string> => {
      const child = tail([target.url, '--no-follow', '-n', 'all', ...args], env);
      expect((await child.exited).code).toBe(0);
      return child.stdout();
    };
    expect(await run([])).toBe('ERROR (default): boom\n');
    expect(await run(['-t'])).toBe(`[${time}] ERROR (default): boom\n`);
    expect(await run([], { FORCE_COLOR: '1' })).toBe('\x1b[31mERROR\x1b[39m (default): \x1b[36mboom\x1b[39m\n');
    expect(await run([], { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe('ERROR (default): boom\n');
    expect(await run(['--color', 'always', '-H', 'oo'], { NO_COLOR: '1' })).toBe(
      '\x1b[31mERROR\x1b[39m (default): \x1b[36mb\x1b[39m\x1b[7m\x1b[1moo\x1b[22m\x1b[27m\x1b[36mm\x1b[39m\n',
    );
    expect(await run(['--color', 'never'], { FORCE_COLOR: '1' })).toBe('ERROR (default): boom\n');
  });

  it('takes --since and stops at --until', async () => {
    const target = await server();
    const base = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const at = (minute: number): string => new Date(base + minute * 60_000).toISOString();
    await postLogs(
      target.url,
      `${[1, 2, 3, 4, 5].map((minute) => JSON.stringify({ msg: `at ${minute}`, time: at(minute) })).join('\n')}\n`,
    );
    const run = tail([target.url, '--since', at(2), '--until', at(4), '-o', 'raw']);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.lines()).toEqual(['at 2', 'at 3', 'at 4']);
  });

  // Regression: `1h30m` worked in `serve` but not in `tail`, which had a duration parser of its own.
  it('reads --since and --until in the one duration grammar, and refuses what it cannot read with exit 2', async () => {
    const target = await server();
    const now = Date.now();
    const minutesAgo = [90, 60, 30, 5];
    await postLogs(
      target.url,
      `${minutesAgo.map((ago) => JSON.stringify({ msg: `${ago} min ago`, time: now - ago * 60_000 })).join('\n')}\n`,
    );
    const run = tail([target.url, '--since', '1h15m', '--until', '0h20m', '-o', 'raw']);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.lines()).toEqual(['60 min ago', '30 min ago']);
    for (const [flag, value] of [
      ['--since', '1h30'],
      ['--until', 'yesterday'],
    ] as const) {
      const bad = tail([target.url, flag, value]);
      expect((await bad.exited).code).toBe(2);
      expect(bad.stderr()).toContain(`${flag} must be a duration back from now (10m, 1h30m)`);
    }
  });

  it('exits non-zero with a clear message when the server wants a token, and reads with LIVELOG_TOKEN', async () => {
    const target = await server({ tokens: ['reader-secret-1:read', 'writer-secret-1:ingest'] });
    await ingest(target.url, 2, 'line', { authorization: 'Bearer writer-secret-1' });
    const denied = tail([target.url, '--no-follow']);
    expect((await denied.exited).code).toBe(1);
    expect(denied.stderr()).toMatch(/needs a valid token.*--token or set LIVELOG_TOKEN/);
    expect(denied.stdout()).toBe('');
    const forbidden = tail([target.url, '--no-follow', '--token', 'writer-secret-1']);
    expect((await forbidden.exited).code).toBe(1);
    expect(forbidden.stderr()).toContain('read scope');
    const allowed = tail([target.url, '--no-follow', '-n', 'all', '-o', 'raw'], { LIVELOG_TOKEN: 'reader-secret-1' });
    expect(await allowed.exited).toEqual({ code: 0, signal: null });
    expect(allowed.lines()).toEqual(['line 1', 'line 2']);
  });

  it('a cursor file of a log that is gone (deleted, wiped) prints every line of the new one, not the last 10', async () => {
    const target = await server();
    await ingest(target.url, 30);
    const dir = await tempDir('livelog-tail-foreign-');
    cleanups.push(() => dir.remove());
    const cursorFile = join(dir.path, 'cursor');
    // An id of another stream, as a cursor file kept across a wiped data directory holds.
    await writeFile(cursorFile, 'AAAAAAAAAAAAAAAAAAAAAA:25\n');
    const run = tail([target.url, '--no-follow', '-o', 'raw', '--cursor-file', cursorFile]);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stderr()).toContain('foreign');
    expect(run.lines()).toEqual(numbered('line', 1, 30));
  });

  // A cursor file holding something that is no id (edited by hand, another tool's file) is refused
  // as journalctl refuses a bad --cursor-file: exit 2, the file left as it was for the reader to see.
  it('a cursor file that holds no `<stream>:<seq>` id: exit 2 with a clear line, the file untouched', async () => {
    const target = await server();
    await ingest(target.url, 3);
    const dir = await tempDir('livelog-tail-garbage-');
    cleanups.push(() => dir.remove());
    const cursorFile = join(dir.path, 'cursor');
    await writeFile(cursorFile, 'not a cursor\n');
    const run = tail([target.url, '--no-follow', '-o', 'raw', '--cursor-file', cursorFile]);
    expect(await run.exited).toEqual({ code: 2, signal: null });
    expect(run.stderr()).toBe(
      `livelog tail: --cursor-file ${cursorFile} holds "not a cursor", not an entry id (<stream>:<seq>); remove the file to start afresh\n`,
    );
    expect(run.lines()).toEqual([]);
    expect(await readFile(cursorFile, 'utf8')).toBe('not a cursor\n');
    // One that cannot be read at all (a directory) is said in one line too, not as a stack trace.
    const unreadable = tail([target.url, '--no-follow', '-o', 'raw', '--cursor-file', dir.path]);
    expect(await unreadable.exited).toEqual({ code: 2, signal: null });
    expect(unreadable.stderr()).toMatch(/^livelog tail: --cursor-file .*: EISDIR: illegal operation on a directory, read\n$/);
  });

  it('reports a gap on stderr, never on stdout, and continues after it', async () => {
    const target = await server({ retainEntries: '10', ringEntries: '5' });
    const reply = await ingest(target.url, 60);
    const dir = await tempDir('livelog-tail-gap-');
    cleanups.push(() => dir.remove());
    const cursorFile = join(dir.path, 'cursor');
    await writeFile(cursorFile, `${reply.firstId.split(':')[0]}:0\n`);
    await waitFor(async () => (await target.store.bounds()).first > 1, { what: 'retention' });
    const run = tail([target.url, '--no-follow', '-o', 'raw', '--cursor-file', cursorFile]);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stderr()).toMatch(/\d+ entries \(seq 1\.\.\d+\) were removed by retention/);
    const lines = run.lines();
    expect(lines.at(-1)).toBe('line 60');
    expect(lines.every((line) => /^line \d+$/.test(line))).toBe(true);
  });
});

describe('livelog tail: permanent errors end it, a server that never answered is waited for out loud', () => {
  it('a URL without a scheme is a usage error: exit 2 at once with a clear line', async () => {
    const noScheme = tail(['127.0.0.1:7600', '--no-follow']);
    expect(await noScheme.exited).toEqual({ code: 2, signal: null });
    expect(noScheme.stderr()).toBe('livelog tail: "127.0.0.1:7600" is not a URL: give the scheme too, e.g. http://127.0.0.1:7600\n');
    const hostPort = tail(['localhost:7600']);
    expect(await hostPort.exited).toEqual({ code: 2, signal: null });
    expect(hostPort.stderr()).toBe(
      'livelog tail: "localhost:7600" is not an http:// or https:// URL: did you mean http://localhost:7600?\n',
    );
  });

  it('--no-follow and nothing answers: exit 1 with one line', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = tail([url, '--no-follow']);
    expect(await run.exited).toEqual({ code: 1, signal: null });
    expect(run.stderr()).toMatch(new RegExp(`^livelog tail: cannot read ${url}: connection failed: connect ECONNREFUSED \\S+\\n$`));
    expect(run.stdout()).toBe('');
  });

  it('following a server that is not up yet: says once that it waits, then prints once it answers', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const run = tail([url, '-o', 'raw']);
    await waitFor(() => run.stderr().includes('which has not answered yet'), { what: 'the waiting notice' });
    const target = await server({ port: String(port) });
    await waitFor(() => run.stderr().includes('answered; following'), { what: 'the tail to connect', timeoutMs: 40_000 });
    await ingest(target.url, 3, 'late');
    expect(await run.waitLines(3)).toEqual(['late 1', 'late 2', 'late 3']);
    expect(run.stderr()).toBe(
      `livelog tail: waiting for ${url}, which has not answered yet (connection failed: connect ECONNREFUSED 127.0.0.1:${port}); retrying until it does, Ctrl-C to stop\nlivelog tail: ${url} answered; following\n`,
    );
  }, 60_000);
});

describe('livelog tail -n N with -i/-e: the last N matching lines', () => {
  /** 3,000 lines; every 300th says `reset`, alternately in lower and upper case. */
  async function history(): Promise<TestServer> {
    const target = await server();
    const lines = Array.from({ length: 3000 }, (_, i) => {
      const n = i + 1;
      if (n % 300 !== 0) return `line ${n}`;
      return n % 600 === 0 ? `RESET ${n}` : `reset ${n}`;
    });
    await postLogs(target.url, `${lines.join('\n')}\n`, 'text/plain');
    return target;
  }

  it('a regex: pages back through history (several pages) for the last N matches', async () => {
    const target = await history();
    const run = tail([target.url, '--no-follow', '-n', '3', '-i', 'reset \\d+', '-o', 'raw']);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.lines()).toEqual(['reset 1500', 'reset 2100', 'reset 2700']);
  });

  it('plain text: the server narrows with q, the client keeps its case-sensitive match; -e removes', async () => {
    const target = await history();
    const run = tail([target.url, '--no-follow', '-n', '2', '-i', 'RESET', '-e', '3000', '-o', 'raw']);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.lines()).toEqual(['RESET 1800', 'RESET 2400']);
    const digits = tail([target.url, '--no-follow', '-n', '2', '-i', '00', '-o', 'raw']);
    expect(await digits.exited).toEqual({ code: 0, signal: null });
    expect(digits.lines()).toEqual(['line 2900', 'RESET 3000']);
  });

  it('following: the last N matches, then new matching lines as they come, each once', async () => {
    const target = await history();
    const run = tail([target.url, '-n', '2', '-i', 'reset \\d+', '-o', 'raw']);
    await run.waitLines(2);
    await postLogs(target.url, 'reset 3001\nline 3002\nreset 3003\n', 'text/plain');
    expect(await run.waitLines(4)).toEqual(['reset 2100', 'reset 2700', 'reset 3001', 'reset 3003']);
  });
});

describe('livelog tail: what a message holds cannot drive the terminal', () => {
  const hostile = [
    '\x1b]0;pwned title\x07visible after OSC title',
    'clear\x1b[2J\x1b[Hscreen and \x1b[31mred\x1b[0m text',
    'progress 10%\rprogress 100%',
    'C1 \u009b31m csi and \u009d0;t\u009c osc',
    'bidi \u202eevil\u202c and isolate \u2066x\u2069',
    'bell\x07 backspace\x08 dcs \x1bPq#0;2;0;0;0\x1b\\ end',
    'tab\tstays',
  ];

  it('--color never strips every escape and control (colours too); --color always keeps only SGR colours, reset after', async () => {
    const target = await server();
    // The server refuses a source holding controls (LIVELOG_ERR_INGEST_BAD_SOURCE), so only the
    // message can carry them; the source column is checked by the same sanitizer.
    const refused = await postLogs(target.url, `${JSON.stringify({ msg: 'x', source: 'evil\u202esrc' })}\n`);
    expect(refused.status).toBe(400);
    const stored = await postLogs(target.url, `${hostile.map((msg) => JSON.stringify({ msg, source: 'evilsrc' })).join('\n')}\n`);
    expect(stored.status).toBe(200);
    const never = tail([target.url, '--no-follow', '-n', 'all', '--color', 'never'], { FORCE_COLOR: '1' });
    expect(await never.exited).toEqual({ code: 0, signal: null });
    expect(never.stdout()).toBe(
      [
        'INFO (evilsrc): visible after OSC title',
        'INFO (evilsrc): clearscreen and red text',
        'INFO (evilsrc): progress 10%progress 100%',
        'INFO (evilsrc): C1  csi and  osc',
        'INFO (evilsrc): bidi evil and isolate x',
        'INFO (evilsrc): bell backspace dcs  end',
        'INFO (evilsrc): tab\tstays',
        '',
      ].join('\n'),
    );
    const always = tail([target.url, '--no-follow', '-n', 'all', '--color', 'always', '-o', 'raw']);
    expect(await always.exited).toEqual({ code: 0, signal: null });
    const lines = always.stdout().split('\n');
    expect(lines[1]).toBe('clearscreen and \x1b[31mred\x1b[0m text\x1b[0m');
    expect(lines[0]).toBe('visible after OSC title');
    // Nothing but SGR (ESC [ … m) is left anywhere.
    expect(always.stdout().replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
  });

  it('-o json keeps every character but writes C1 and bidi controls as \\u escapes', async () => {
    const target = await server();
    await postLogs(target.url, `${JSON.stringify({ msg: 'a\u009bb\u202ec\x1bd' })}\n`);
    const run = tail([target.url, '--no-follow', '-n', 'all', '-o', 'json']);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stdout()).toContain('"msg":"a\\u009bb\\u202ec\\u001bd"');
    expect((JSON.parse(run.stdout()) as LogEntry).msg).toBe('a\u009bb\u202ec\x1bd');
  });
});
