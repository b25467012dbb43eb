import { once } from 'node:events';
import { SqliteStore } from '@livelog/core';
import { freePort, getJson, postLogs, postStreamLogs, startServer, type TestServer, tempDir } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './tail-support.js';

/** A finished `livelog search` run. */
interface Result {
  code: number | null;
  stdout: string[];
  stderr: string;
}

async function search(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  const run = runCli(['search', ...args], env);
  // 'close', not 'exit': at 'exit' the child's stdout may still hold unread output (Node's docs say
  // so). A case once failed with an empty stdout while several ran at once; that is one way to get it.
  const [code] = (await once(run.child, 'close')) as [number | null];
  return { code, stdout: run.stdout().split('\n').slice(0, -1), stderr: run.stderr() };
}

// The corpus, the same on both servers. `default`: 30 lines one second apart, an error every 7th
// ("error timeout 7", 14, 21, 28), the rest "ok line N". `other`: three errors of its own. `bulk`:
// 2,400 lines, "hit N" on even N and "miss N" on odd ones, so its 1,200 matches take two pages (the
// server's largest holds 1,000). Seqs start at 1 in each stream: line N is seq N.
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const isMatch = (n: number): boolean => n % 7 === 0;
const text = (n: number): string => (isMatch(n) ? `error timeout ${n}` : `ok line ${n}`);
const numbered = (n: number): string => `${n}${isMatch(n) ? ':' : '-'}${text(n)}`;
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const bulkText = (n: number): string => `${n % 2 === 0 ? 'hit' : 'miss'} ${n}`;

async function seed(server: TestServer): Promise<void> {
  const records = range(1, 30).map((n) => JSON.stringify({ msg: text(n), level: isMatch(n) ? 'error' : 'info', time: T0 + n * 1000 }));
  expect((await postLogs(server.url, `${records.join('\n')}\n`)).status).toBe(200);
  const other = range(1, 3).map((n) => JSON.stringify({ msg: `error timeout other ${n}`, level: 'error' }));
  expect((await postStreamLogs(server.url, 'other', `${other.join('\n')}\n`)).status).toBe(200);
  const bulk = range(1, 2400).map((n) => JSON.stringify({ msg: bulkText(n) }));
  expect((await postStreamLogs(server.url, 'bulk', `${bulk.join('\n')}\n`)).status).toBe(200);
}

type Kind = 'indexed' | 'scanning' | 'cut short';
const servers: Partial<Record<Kind, TestServer>> = {};
const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  servers.indexed = await startServer();
  cleanups.push(() => (servers.indexed as TestServer).close());
  servers.scanning = await startServer({ searchIndex: 'off' });
  cleanups.push(() => (servers.scanning as TestServer).close());
  // A scan budget spent after one window of 8 seqs: most pages stop short, many hold no entry at all,
  // with `hasMore` and the `next` to go on from (docs/reference/http-api.md, the bounded scan).
  const dir = await tempDir('livelog-search-cut-');
  cleanups.push(() => dir.remove());
  servers['cut short'] = await startServer({}, { store: new SqliteStore({ dir: dir.path, scanBudget: { chunkRows: 8, maxMs: 0 } }) });
  cleanups.push(() => (servers['cut short'] as TestServer).close());
  for (const server of Object.values(servers)) await seed(server);
}, 60_000);
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Cases run against a server with the search index and one without (`--search-index off`): the same output. */
const CASES: { name: string; args: string[]; stdout: string[]; code?: number }[] = [
  {
    name: 'matches oldest first, pretty',
    args: ['timeout'],
    stdout: [7, 14, 21, 28].map((n) => `ERROR (default): error timeout ${n}`),
  },
  { name: '-n numbers matches with their seq', args: ['timeout', '-n', '-o', 'raw'], stdout: [7, 14, 21, 28].map(numbered) },
  {
    name: '-C 1: each match with a line either side, groups separated by --',
    args: ['timeout', '-C', '1', '-o', 'raw'],
    stdout: [...range(6, 8), '--', ...range(13, 15), '--', ...range(20, 22), '--', ...range(27, 29)].map((n) =>
      typeof n === 'number' ? numbered(n) : n,
    ),
  },
  {
    name: '-C 4: overlapping windows merge into one group, each line once',
    args: ['timeout', '-C', '4', '-o', 'raw'],
    stdout: range(3, 30).map(numbered),
  },
  {
    name: '-B 6: windows that only touch merge too',
    args: ['timeout', '-B', '6', '-o', 'raw'],
    stdout: range(1, 28).map(numbered),
  },
  {
    name: '-A 7: a later match inside a window is still marked a match',
    args: ['timeout', '-A', '7', '-o', 'raw'],
    stdout: range(7, 30).map(numbered),
  },
  {
    name: 'context is unfiltered: past --until it shows lines, a match there only as context',
    args: ['timeout', '-A', '7', '-o', 'raw', '--until', String(T0 + 14_000)],
    stdout: range(7, 21).map((n) => `${n}${n === 7 || n === 14 ? ':' : '-'}${text(n)}`),
  },
  {
    name: '-m 1 -A 7: after the last match counted, later matches are context (as grep -m)',
    args: ['timeout', '-A', '7', '-m', '1', '-o', 'raw'],
    stdout: range(7, 14).map((n) => `${n}${n === 7 ? ':' : '-'}${text(n)}`),
  },
  { name: '-m 2', args: ['timeout', '-m', '2', '-o', 'raw'], stdout: ['error timeout 7', 'error timeout 14'] },
  {
    name: '--since and --until (inclusive, as tail’s)',
    args: ['timeout', '--since', String(T0 + 8000), '--until', String(T0 + 21_000), '-o', 'raw'],
    stdout: ['error timeout 14', 'error timeout 21'],
  },
  {
    name: '--reverse -B 1: newest first, context below its match',
    args: ['timeout', '-r', '-B', '1', '-o', 'raw', '-m', '2'],
    stdout: ['28:error timeout 28', '27-ok line 27', '--', '21:error timeout 21', '20-ok line 20'],
  },
  {
    name: "--level with the empty query ('' matches every entry)",
    args: ['', '--level', 'error', '-o', 'raw'],
    stdout: [7, 14, 21, 28].map(text),
  },
  {
    name: '--stream searches that stream only',
    args: ['timeout', '--stream', 'other', '-o', 'raw'],
    stdout: ['error timeout other 1', 'error timeout other 2', 'error timeout other 3'],
  },
  { name: '--count', args: ['timeout', '-c'], stdout: ['4'] },
  { name: 'no match: nothing printed, exit 1', args: ['nomatch', '-C', '3'], stdout: [], code: 1 },
  {
    name: 'two pages of matches, none lost or repeated',
    args: ['hit', '--stream', 'bulk', '-o', 'raw'],
    stdout: range(1, 1200).map((i) => `hit ${2 * i}`),
  },
  {
    name: 'two pages newest first',
    args: ['hit', '--stream', 'bulk', '-o', 'raw', '-r'],
    stdout: range(1, 1200).map((i) => `hit ${2402 - 2 * i}`),
  },
  {
    name: 'context across a page boundary: the match ending page 1 shows a match of page 2 as one',
    args: ['hit', '--stream', 'bulk', '-o', 'raw', '-A', '2'],
    stdout: range(2, 2400).map((n) => `${n}${n % 2 === 0 ? ':' : '-'}${bulkText(n)}`),
  },
  {
    name: 'rare matches: pages without entries (cut short) are followed, context and all',
    args: ['"hit 24"', '--stream', 'bulk', '-o', 'raw', '-C', '1'],
    stdout: [...range(23, 25), '--', ...range(239, 249), '--', 2399, 2400].map((n) =>
      typeof n === 'number' ? `${n}${n % 2 === 0 ? ':' : '-'}${bulkText(n)}` : n,
    ),
  },
  {
    name: 'rare matches newest first',
    args: ['"hit 24"', '--stream', 'bulk', '-o', 'raw', '-r'],
    stdout: [2400, 248, 246, 244, 242, 240, 24].map(bulkText),
  },
  { name: '-m past one page', args: ['hit', '--stream', 'bulk', '-c', '-m', '1001'], stdout: ['1001'] },
];

// Concurrent: each case is a CLI process that only reads (and the servers are read-only once
// seeded), and most of a case is the process starting, which several overlap.
describe.concurrent.each(['indexed', 'scanning', 'cut short'] as const)('livelog search (%s server)', (kind) => {
  it.for(CASES)('$name', async ({ args, stdout, code }, { expect }) => {
    const server = servers[kind] as TestServer;
    const result = await search([server.url, ...args]);
    // One comparison, so that a wrong stdout shows the exit code and stderr with it.
    expect(result).toEqual({ stdout, code: code ?? 0, stderr: '' });
  });
});

describe('livelog search', () => {
  it('the cut-short server does answer pages without entries that have more to come', async () => {
    const server = servers['cut short'] as TestServer;
    const page = await getJson<{ entries: unknown[]; hasMore: boolean; next?: string }>(
      server.url,
      '/api/streams/bulk/logs?q=nomatch&from=start&limit=1000',
    );
    expect(page.body).toMatchObject({ entries: [], hasMore: true, next: expect.any(String) });
  });

  it('-o json: one entry a line with "match", no separator; LIVELOG_URL is the default URL', async () => {
    const server = servers.indexed as TestServer;
    const result = await search(['timeout', '-o', 'json', '-C', '1', '-m', '2'], { LIVELOG_URL: server.url });
    expect(result.code).toBe(0);
    const entries = result.stdout.map((line) => JSON.parse(line) as { seq: number; msg: string; match: boolean; level: string });
    expect(entries.map(({ seq, msg, match }) => ({ seq, msg, match }))).toEqual(
      [6, 7, 8, 13, 14, 15].map((n) => ({ seq: n, msg: text(n), match: isMatch(n) })),
    );
    expect(entries[1]?.level).toBe('error');
  });

  it('a query the server cannot read: its message and code on stderr, exit 2', async () => {
    const server = servers.indexed as TestServer;
    const result = await search([server.url, 'timeout (']);
    expect(result.code).toBe(2);
    expect(result.stdout).toEqual([]);
    expect(result.stderr).toMatch(/^livelog search: the server cannot read the query: q: .+ \(LIVELOG_ERR_BAD_QUERY\)\n$/);
  });

  it('exit 2 on usage errors and on a server that cannot be read', async () => {
    const server = servers.indexed as TestServer;
    const port = await freePort();
    const cases: [string[], RegExp][] = [
      [[], /a query is required/],
      [['localhost:7600', 'x'], /did you mean http:\/\/localhost:7600/],
      [[server.url, 'x', '-C', 'many'], /--context must be a whole number/],
      [[server.url, 'x', '-A', '1001'], /--after-context must be a whole number from 0 to 1000/],
      [[server.url, 'x', '--since', 'yesterday'], /--since must be/],
      [[server.url, 'x', '--level', 'loud'], /--level must be/],
      [[server.url, 'x', '--stream', 'Bad Name'], /stream name/],
      [[server.url, 'x', '--stream', 'missing'], /has no stream missing/],
      // The server's answer: since a duration back from now, on its own clock.
      [
        [server.url, 'x', '--since', '10m', '--until', '1h'],
        /^livelog search: since: must be before until \(LIVELOG_ERR_QUERY_BAD_TIME\)\n$/,
      ],
      [[`http://127.0.0.1:${port}`, 'x'], /cannot read http:\/\/127\.0\.0\.1:\d+: /],
    ];
    // Each its own process, all at once: most of a run is the process starting.
    const results = await Promise.all(cases.map(([args]) => search(args)));
    for (const [i, [args, message]] of cases.entries()) {
      const result = results[i] as Result;
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 2, stdout: [] });
      expect(result.stderr).toMatch(message);
    }
  });
});
