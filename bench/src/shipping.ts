import { type ChildProcess, spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HistoryPage } from '@livelog/protocol';
import { cliPath, spawnServer } from '@livelog/test-utils';

/**
 * `node bench/dist/shipping.js`: how fast logs get in (issue 5), in one run on this machine.
 *
 * 1. `livelog pipe` from a 1,000,000-line file to the last durable acknowledgement (process start
 *    included), next to (a) a raw read of the file (`cat FILE > /dev/null`, and a Node stream reading
 *    it and counting lines: the floor of any Node shipper) and (b) a bare HTTP NDJSON upload of the
 *    same lines, pre-encoded, in sequential batches of 5,000 over one keep-alive connection: the
 *    server's ingest rate for one client. Target: pipe ≥ 80% of the bare upload.
 * 2. The cost of `@livelog/pino` on the logging app: `logger.info` calls per second on the app's
 *    thread with the transport, next to pino writing to /dev/null; and the rate at which the lines
 *    are acknowledged by the server.
 *
 * Each upload gets a fresh `livelog serve` process on SQLite; the three uploads (bare, bare with an
 * Idempotency-Key per request — what exactly-once costs the server — and pipe) are interleaved over
 * LIVELOG_BENCH_ROUNDS rounds (default 3) and the medians compared. Every run checks the server
 * stored exactly the lines sent. Environment: LIVELOG_BENCH_LINES (default 1,000,000),
 * LIVELOG_BENCH_PINO (logger calls, default 200,000).
 */

const CLI = cliPath();
const SELF = fileURLToPath(import.meta.url);
const BATCH = 5000;

// ---------- pino child: `node shipping.js pino <devnull|transport> <count> [url]` ----------

if (process.argv[2] === 'pino') {
  const [, , , mode, countText, url] = process.argv;
  const count = Number(countText);
  const { default: pino } = await import('pino');
  const transport = mode === 'transport' ? pino.transport({ target: '@livelog/pino', options: { url, source: 'bench-pino' } }) : undefined;
  const logger = pino(transport ?? pino.destination('/dev/null'));
  // Boot the worker before measuring, as a long-running app would have.
  if (transport !== undefined) await new Promise((resolve) => transport.once('ready', resolve));
  const started = performance.now();
  for (let i = 0; i < count; i++) logger.info({ i, route: '/api/orders', status: 200 }, 'request served');
  const loopMs = performance.now() - started;
  // The process ends by itself once pino is done: with the transport, once its worker closed,
  // which is after the last acknowledgement. writeSync, as 'exit' runs no more async work.
  process.once('exit', () => {
    writeSync(1, `${JSON.stringify({ loopMs, totalMs: performance.now() - started })}\n`);
  });
  if (transport === undefined) logger.flush();
  else transport.end();
} else {
  await main();
}

async function main(): Promise<void> {
  const lines = Number(process.env.LIVELOG_BENCH_LINES ?? 1_000_000);
  const pinoCalls = Number(process.env.LIVELOG_BENCH_PINO ?? 200_000);
  const rounds = Number(process.env.LIVELOG_BENCH_ROUNDS ?? 3);
  const scratch = mkdtempSync(join(tmpdir(), 'livelog-bench-shipping-'));
  const rows: string[][] = [];
  const servers: { stop(): Promise<void> }[] = [];
  const serve = async (name: string) => {
    const started = await startServe(scratch, name);
    servers.push(started);
    return started;
  };
  try {
    const file = join(scratch, 'app.log');
    const text = logText(lines);
    writeFileSync(file, text);
    const ndjson = ndjsonBatches(text);

    const cat = await timed(() => runToEnd(spawn('cat', [file], { stdio: ['ignore', openSync('/dev/null', 'w'), 'inherit'] })));
    const nodeRead = await timed(() => countLines(file));
    if (nodeRead.value !== lines) throw new Error(`read ${nodeRead.value} lines, expected ${lines}`);

    // Rounds interleave the three uploads, each on a fresh server, and the median of each is kept:
    // on a shared machine one round says little.
    const measure = async (name: string, run: (url: string) => Promise<void>) => {
      const server = await serve(name);
      const result = await timed(() => run(server.url));
      const checked = await check(server.url, lines);
      await server.stop();
      return { seconds: result.seconds, checked };
    };
    const runs: Record<'bare' | 'keyed' | 'pipe', { seconds: number; checked: string }[]> = { bare: [], keyed: [], pipe: [] };
    for (let round = 1; round <= rounds; round++) {
      process.stderr.write(`bench shipping: round ${round} of ${rounds}…\n`);
      runs.bare.push(await measure(`bare-${round}`, (url) => upload(url, ndjson, false)));
      runs.keyed.push(await measure(`keyed-${round}`, (url) => upload(url, ndjson, true)));
      runs.pipe.push(
        await measure(`pipe-${round}`, async (url) => {
          const child = spawn(process.execPath, [CLI, 'pipe', '--server', url, '--source', 'bench'], {
            stdio: [openSync(file, 'r'), 'inherit', 'inherit'],
          });
          const code = await runToEnd(child);
          if (code !== 0) throw new Error(`livelog pipe exited ${code}`);
        }),
      );
    }
    const startup = median(
      await Promise.all([1, 2, 3].map(() => timed(() => runToEnd(spawn(process.execPath, [CLI, '--version'], { stdio: 'ignore' }))))),
    );
    const bare = median(runs.bare);
    const keyed = median(runs.keyed);
    const pipe = median(runs.pipe);
    const checks = (list: { checked: string }[]): string => [...new Set(list.map((run) => run.checked))].join('; ');
    const spread = (list: { seconds: number }[]): string =>
      `${median(list).seconds.toFixed(2)} s (${list.map((run) => run.seconds.toFixed(1)).join(', ')})`;

    const rate = (seconds: number): number => lines / seconds;
    const mb = (text.length / 1024 / 1024).toFixed(0);
    rows.push(['raw read: cat FILE > /dev/null', perSecond(rate(cat.seconds)), `${cat.seconds.toFixed(2)} s`, '', '']);
    rows.push(['raw read: Node stream, count lines', perSecond(rate(nodeRead.seconds)), `${nodeRead.seconds.toFixed(2)} s`, '', '']);
    rows.push([
      `bare NDJSON upload, ${BATCH}/request, one connection`,
      perSecond(rate(bare.seconds)),
      spread(runs.bare),
      '',
      checks(runs.bare),
    ]);
    rows.push([
      '  the same with an Idempotency-Key per request',
      perSecond(rate(keyed.seconds)),
      spread(runs.keyed),
      `${percent(bare.seconds / keyed.seconds)} of bare upload`,
      checks(runs.keyed),
    ]);
    rows.push([
      'livelog pipe < FILE (to last ack, process start included)',
      perSecond(rate(pipe.seconds)),
      spread(runs.pipe),
      `${percent(bare.seconds / pipe.seconds)} of bare upload (target ≥ 80%), ${percent(keyed.seconds / pipe.seconds)} of keyed upload, ${percent(nodeRead.seconds / pipe.seconds)} of Node read`,
      checks(runs.pipe),
    ]);
    rows.push([
      '  of which CLI start (livelog --version)',
      '',
      `${startup.seconds.toFixed(2)} s`,
      `without it: ${percent(bare.seconds / Math.max(0.001, pipe.seconds - startup.seconds))} of bare upload`,
      '',
    ]);

    const devnull = await pinoRun('devnull', pinoCalls);
    const pinoServer = await serve('pino');
    const shipped = await pinoRun('transport', pinoCalls, pinoServer.url);
    const pinoCheck = await check(pinoServer.url, pinoCalls);
    await pinoServer.stop();
    const ops = (ms: number): number => pinoCalls / (ms / 1000);
    rows.push(['pino → /dev/null: logger.info', perSecond(ops(devnull.loopMs)), `${(devnull.loopMs / 1000).toFixed(2)} s`, '', '']);
    rows.push([
      'pino → @livelog/pino: logger.info (app thread)',
      perSecond(ops(shipped.loopMs)),
      `${(shipped.loopMs / 1000).toFixed(2)} s`,
      `${percent(devnull.loopMs / shipped.loopMs)} of /dev/null (overhead ${percent(shipped.loopMs / devnull.loopMs - 1)})`,
      '',
    ]);
    rows.push([
      'pino → @livelog/pino: acknowledged by the server',
      perSecond(ops(shipped.totalMs)),
      `${(shipped.totalMs / 1000).toFixed(2)} s`,
      '',
      pinoCheck,
    ]);
    console.log('');
    console.log(
      `livelog bench: shipping — ${new Date().toISOString()} — Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? '?'})`,
    );
    console.log(`${lines.toLocaleString('en-US')} lines (${mb} MiB) of access-log text; server, shipper and bench share this machine`);
    console.log('');
    console.log(table(['scenario', 'lines/s', 'time', 'ratio', 'check'], rows));
  } finally {
    await Promise.allSettled(servers.map((server) => server.stop()));
    rmSync(scratch, { recursive: true, force: true });
  }
}

// ---------- helpers ----------

/** Access-log lines, ~90 bytes, some stating a level the way apps print them. */
function logText(count: number): string {
  const paths = ['/api/orders', '/api/items', '/api/users', '/api/cart', '/healthz'];
  const parts: string[] = [];
  for (let i = 1; i <= count; i++) {
    const status = [200, 200, 201, 404, 500][i % 5] as number;
    const tag = status >= 500 ? '[ERROR] ' : status >= 400 ? 'WARN: ' : '';
    parts.push(
      `${tag}GET ${paths[i % paths.length]}/${(i * 7919) % 100_000} ${status} ${(i * 31) % 997}ms req=r-${i} user=${(i * 104_729) % 50_000}`,
    );
  }
  return `${parts.join('\n')}\n`;
}

/** The same lines as the NDJSON records `livelog pipe` sends, in batches of BATCH, encoded ahead of time. */
function ndjsonBatches(text: string): Buffer[] {
  const lines = text.split('\n');
  lines.pop();
  const batches: Buffer[] = [];
  const time = Date.now();
  for (let i = 0; i < lines.length; i += BATCH) {
    let body = '';
    for (const line of lines.slice(i, i + BATCH)) {
      const level = line.startsWith('[ERROR]') ? 'error' : line.startsWith('WARN') ? 'warn' : 'info';
      body += `${JSON.stringify({ msg: line, level, time })}\n`;
    }
    batches.push(Buffer.from(body));
  }
  return batches;
}

async function upload(url: string, batches: Buffer[], keyed: boolean): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(`${url}/api/logs?source=bench`);
  const prefix = `bench-${Date.now()}-`;
  for (const [index, body] of batches.entries()) {
    const key: Record<string, string> = keyed ? { 'idempotency-key': `${prefix}${index}` } : {};
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        target,
        { method: 'POST', agent, headers: { 'content-type': 'application/x-ndjson', 'content-length': body.length, ...key } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    if (status !== 200) throw new Error(`upload answered ${status}`);
  }
  agent.destroy();
}

async function countLines(file: string): Promise<number> {
  let count = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    const buffer = chunk as Buffer;
    for (let at = buffer.indexOf(0x0a); at !== -1; at = buffer.indexOf(0x0a, at + 1)) count++;
  }
  return count;
}

async function pinoRun(mode: 'devnull' | 'transport', count: number, url = ''): Promise<{ loopMs: number; totalMs: number }> {
  const child = spawn(process.execPath, [SELF, 'pino', mode, String(count), url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const code = await runToEnd(child);
  if (code !== 0) throw new Error(`pino ${mode} exited ${code}`);
  return JSON.parse(out) as { loopMs: number; totalMs: number };
}

/** "N stored, in order" when the server holds exactly `expected` entries; a failure text otherwise. */
async function check(url: string, expected: number): Promise<string> {
  const response = await fetch(`${url}/api/logs?limit=1`);
  const page = (await response.json()) as HistoryPage;
  const last = page.entries[0]?.seq ?? 0;
  return last === expected ? `${expected.toLocaleString('en-US')} stored` : `FAIL: ${last} stored, expected ${expected}`;
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await run();
  return { value, seconds: (performance.now() - started) / 1000 };
}

function runToEnd(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}

async function startServe(scratch: string, name: string): Promise<{ url: string; stop(): Promise<void> }> {
  const server = await spawnServer({ dataDir: join(scratch, `data-${name}`), logLevel: 'warn' });
  return {
    url: server.url,
    async stop() {
      await server.kill('SIGTERM');
    },
  };
}

function median<T extends { seconds: number }>(list: T[]): T {
  const sorted = [...list].sort((a, b) => a.seconds - b.seconds);
  return sorted[Math.floor(sorted.length / 2)] as T;
}

function perSecond(value: number): string {
  return `${Math.round(value).toLocaleString('en-US')}/s`;
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(0)}%`;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
