import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeCursor, formatId, type HistoryPage, type IngestReply } from '@livelog/protocol';
import { spawnServer } from '@livelog/test-utils';

/**
 * `node bench/dist/redis-vs-sqlite.js`: the Redis Streams store next to the SQLite store, in one run,
 * black-box: real `livelog serve` processes, HTTP ingest, SSE readers in child processes.
 *
 * 1. ingest: the same NDJSON batches into one SQLite server and one Redis server (target: Redis ≥ 50%
 *    of SQLite);
 * 2. fan-out: R live readers on one Redis-backed process, then the same R readers split over two
 *    processes on the same Redis (does a second instance add capacity?), SQLite alongside;
 * 3. replay: one reader with a Last-Event-ID 1,000,000 entries behind, on each store.
 *
 * Environment: LIVELOG_BENCH_REDIS_URL (default redis://127.0.0.1:6379), LIVELOG_BENCH_SCALE (default
 * 1; 0.1 for a quick run), LIVELOG_BENCH_READERS (default 200), LIVELOG_BENCH_READER_PROCS (default 2).
 * Every reader checks that it got every entry once, in order. Keys are deleted afterwards.
 */

const BATCH = 1000;
const FANOUT_ROUNDS = 3;

interface Instance {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

interface ReaderJob {
  urls: string[];
  perUrl: number;
  /** Last-Event-ID to send; empty for live only. */
  lastEventId: string;
  /** The seq just before the first entry each reader must get. */
  after: number;
  target: number;
}

interface ReaderReport {
  connections: number;
  done: number;
  errors: string[];
  /** Connections whose entries were not exactly 1..target in order. */
  bad: number;
}

// ---------- reader child ----------

if (process.argv[2] === 'reader') {
  const send = (message: unknown): void => {
    process.send?.(message);
  };
  process.on('message', (job: ReaderJob) => {
    const report: ReaderReport = { connections: 0, done: 0, errors: [], bad: 0 };
    let pending = job.urls.length * job.perUrl;
    const finish = (ok: boolean): void => {
      if (ok) report.done++;
      else report.bad++;
      if (--pending === 0) send(report);
    };
    let opened = 0;
    for (const url of job.urls) {
      for (let i = 0; i < job.perUrl; i++) {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (job.lastEventId !== '') headers['last-event-id'] = job.lastEventId;
        const req = request(`${url}/api/stream`, { headers, agent: false }, (res) => {
          report.connections++;
          if (++opened === job.urls.length * job.perUrl) send({ opened });
          let expected = job.after;
          let ok = true;
          let carry = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            // An entry event starts with its data line right after the blank line that ends the
            // previous event, and entry JSON starts with the entry's id; hello, gap and reset start
            // with their event line instead.
            const text = carry + chunk;
            let at = 0;
            for (;;) {
              const start = text.indexOf('\n\ndata: {"id":"', at);
              if (start < 0) break;
              const end = text.indexOf('"', start + 15);
              if (end < 0) break;
              const id = text.slice(start + 15, end);
              const seq = Number(id.slice(id.lastIndexOf(':') + 1));
              if (seq !== expected + 1) ok = false;
              expected = seq;
              at = end;
            }
            carry = text.slice(Math.max(at, text.length - 128));
            if (expected >= job.target) {
              res.destroy();
              finish(ok && expected === job.target);
            }
          });
          res.on('error', () => undefined);
        });
        req.on('error', (error) => {
          report.errors.push(error.message);
          finish(false);
        });
        req.end();
      }
    }
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

// ---------- driver ----------

async function main(): Promise<void> {
  const scale = Number(process.env.LIVELOG_BENCH_SCALE ?? 1);
  const redisUrl = process.env.LIVELOG_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const readers = Number(process.env.LIVELOG_BENCH_READERS ?? 200);
  const readerProcs = Number(process.env.LIVELOG_BENCH_READER_PROCS ?? 2);
  const ingestBatches = Math.max(10, Math.round(300 * scale));
  const fanoutEntries = Math.max(BATCH, Math.round((10_000 * scale) / BATCH) * BATCH);
  const replayEntries = Math.max(10 * BATCH, Math.round((1_000_000 * scale) / BATCH) * BATCH);
  const scratch = mkdtempSync(join(tmpdir(), 'livelog-bench-redis-'));
  const run = Date.now().toString(36);
  const keys: string[] = [];
  const redisStore = (name: string): string => {
    const key = `bench-${run}-${name}`;
    keys.push(key);
    return `${redisUrl}/0?key=${key}`;
  };
  const instances = new Set<Instance>();
  const serve = async (store: string, name: string): Promise<Instance> => {
    const instance = await startServe(join(scratch, name), ['--store', store]);
    instances.add(instance);
    return instance;
  };
  const rows: string[][] = [];
  const notes: string[] = [];
  try {
    // 1. ingest
    const bodies = Array.from({ length: 8 }, (_, k) => ndjsonBody(k * BATCH, BATCH));
    const ingestRates: Record<string, number> = {};
    for (const [name, store] of [
      ['sqlite', 'sqlite'],
      ['redis', redisStore('ingest')],
    ] as const) {
      const server = await serve(store, `ingest-${name}`);
      await postAll(server.port, bodies, 10, 4);
      const result = await postAll(server.port, bodies, ingestBatches, 4);
      ingestRates[name] = result.entries / result.seconds;
      rows.push([`1. ingest, ${BATCH}/batch, 4 clients`, name, perSecond(ingestRates[name] ?? 0), '', `acked to seq ${result.lastSeq}`]);
      await stop(server, instances);
    }
    const ingestRatio = (ingestRates.redis ?? 0) / (ingestRates.sqlite ?? 1);
    rows.push(['   Redis / SQLite ingest', '', percent(ingestRatio), 'target ≥ 50%', ingestRatio >= 0.5 ? 'PASS' : 'MISS']);

    // 2. fan-out: the same readers on one process, then split over two on the same stream
    const fanout = async (label: string, servers: Instance[], writer: Instance): Promise<number> => {
      // Rounds on a shared 2-core machine vary a lot; the median of three is reported.
      const rates: number[] = [];
      const checks: string[] = [];
      for (let round = 0; round < FANOUT_ROUNDS; round++) {
        const head = (await postAll(writer.port, [ndjsonBody(0, BATCH)], 1, 1)).lastSeq;
        const group = await openReaders(servers, readers, readerProcs, '', head, head + fanoutEntries);
        const started = performance.now();
        await postAll(writer.port, bodies, fanoutEntries / BATCH, 4);
        const report = await group.done;
        rates.push((readers * fanoutEntries) / ((performance.now() - started) / 1000));
        if (report.done !== readers || report.bad !== 0) checks.push(`FAIL ${JSON.stringify(report)}`);
      }
      const rate = rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)] as number;
      const check = checks[0] ?? `${readers}×${fanoutEntries} in order, once, ×${FANOUT_ROUNDS}`;
      rows.push([`2. fan-out ${fanoutEntries} entries to ${readers} readers`, label, perSecond(rate), 'median of 3', check]);
      return rate;
    };
    const sqliteFan = await serve('sqlite', 'fanout-sqlite');
    await fanout('sqlite, 1 process', [sqliteFan], sqliteFan);
    await stop(sqliteFan, instances);
    const fanStore = redisStore('fanout');
    const one = await serve(fanStore, 'fanout-a');
    const oneRate = await fanout('redis, 1 process', [one], one);
    const two = await serve(fanStore, 'fanout-b');
    const twoRate = await fanout('redis, 2 processes', [one, two], one);
    rows.push(['   two processes / one', '', times(twoRate / oneRate), 'target > 1×', twoRate > oneRate ? 'PASS' : 'MISS']);
    await stop(one, instances);
    await stop(two, instances);

    // 3. replay from a cursor far behind
    for (const [name, store] of [
      ['sqlite', 'sqlite'],
      ['redis', redisStore('replay')],
    ] as const) {
      const server = await serve(store, `replay-${name}`);
      const preload = await postAll(server.port, bodies, replayEntries / BATCH, 4);
      notes.push(`${name} replay preload: ${replayEntries} entries over HTTP at ${perSecond(preload.entries / preload.seconds)}`);
      const stream = await streamId(server.url);
      const started = performance.now();
      const group = await openReaders([server], 1, 1, formatId(stream, 0), 0, preload.lastSeq);
      const report = await group.done;
      const seconds = (performance.now() - started) / 1000;
      const check = report.done === 1 && report.bad === 0 ? `1..${preload.lastSeq} in order, once` : `FAIL ${JSON.stringify(report)}`;
      rows.push([
        `3. replay, cursor ${replayEntries.toLocaleString('en-US')} behind`,
        name,
        perSecond(preload.lastSeq / seconds),
        '',
        check,
      ]);
      await stop(server, instances);
    }
  } finally {
    await Promise.allSettled([...instances].map((instance) => instance.stop()));
    await dropKeys(redisUrl, keys);
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log('');
  console.log(
    `livelog bench: Redis vs SQLite — ${new Date().toISOString()} — Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? '?'}), scale ${scale}`,
  );
  console.log(`Redis ${redisUrl}; every server, Redis and the reader processes share this machine`);
  console.log('');
  console.log(table(['scenario', 'store', 'rate', 'target', 'result / check'], rows));
  for (const note of notes) console.log(`note: ${note}`);
}

// ---------- helpers ----------

/** ~180-byte access-log records, distinct per index. */
function ndjsonBody(first: number, count: number): Buffer {
  const paths = ['/api/orders', '/api/items', '/api/users', '/api/cart', '/healthz'];
  let text = '';
  const time = Date.now();
  for (let i = first; i < first + count; i++) {
    const status = [200, 200, 201, 404, 500][i % 5] as number;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    text += `{"time":${time},"level":"${level}","source":"api-${i % 8}","msg":"GET ${paths[i % paths.length]}/${(i * 7919) % 100_000} ${status} ${(i * 31) % 997}ms","req":"r-${(i * 2_654_435_761) % 4_294_967_296}","user":${(i * 104_729) % 50_000}}\n`;
  }
  return Buffer.from(text);
}

async function startServe(dataDir: string, args: string[]): Promise<Instance> {
  const server = await spawnServer({ dataDir, logLevel: 'warn', args });
  return {
    url: server.url,
    port: server.port,
    child: server.child,
    async stop() {
      await server.kill('SIGTERM');
    },
  };
}

async function stop(instance: Instance, instances: Set<Instance>): Promise<void> {
  await instance.stop();
  instances.delete(instance);
}

/** Posts `batches` bodies with `clients` requests in flight on keep-alive connections. */
async function postAll(
  port: number,
  bodies: Buffer[],
  batches: number,
  clients: number,
): Promise<{ entries: number; seconds: number; lastSeq: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  let next = 0;
  let entries = 0;
  let lastSeq = 0;
  const started = performance.now();
  const post = (body: Buffer): Promise<IngestReply> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/logs',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/x-ndjson', 'content-length': body.length },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (part: string) => {
            text += part;
          });
          res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`HTTP ${res.statusCode} ${text}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < batches) {
        const reply = await post(bodies[next++ % bodies.length] as Buffer);
        entries += reply.accepted;
        lastSeq = Math.max(lastSeq, seqOf(reply.lastId));
      }
    }),
  );
  agent.destroy();
  return { entries, seconds: (performance.now() - started) / 1000, lastSeq };
}

async function streamId(url: string): Promise<string> {
  const body = (await (await fetch(`${url}/api/logs?limit=1`)).json()) as HistoryPage;
  const id = body.entries[0]?.id ?? '';
  return id.slice(0, id.lastIndexOf(':'));
}

/**
 * Opens `count` readers spread over `servers` and `procs` reader processes; resolves once all are
 * connected, with a promise of their merged report once each holds entries up to `target`.
 */
async function openReaders(
  servers: Instance[],
  count: number,
  procs: number,
  lastEventId: string,
  after: number,
  target: number,
): Promise<{ done: Promise<ReaderReport> }> {
  const workers = Array.from({ length: Math.min(procs, count) }, () =>
    fork(fileURLToPath(import.meta.url), ['reader'], { stdio: 'inherit' }),
  );
  const perWorker = Math.ceil(count / workers.length / servers.length);
  const opened: Promise<void>[] = [];
  const reports = workers.map(
    (worker) =>
      new Promise<ReaderReport>((resolve, reject) => {
        let signalOpened: () => void = () => undefined;
        opened.push(
          new Promise((ready) => {
            signalOpened = ready;
          }),
        );
        worker.on('message', (message: ReaderReport | { opened: number }) => {
          if ('opened' in message) signalOpened();
          else {
            resolve(message);
            worker.kill();
          }
        });
        worker.once('exit', (code) => reject(new Error(`reader process exited (${code})`)));
        const job: ReaderJob = { urls: servers.map((server) => server.url), perUrl: perWorker, lastEventId, after, target };
        worker.send(job);
      }),
  );
  await Promise.all(opened);
  const done = Promise.all(reports).then((parts) => ({
    connections: parts.reduce((sum, part) => sum + part.connections, 0),
    done: parts.reduce((sum, part) => sum + part.done, 0),
    errors: parts.flatMap((part) => part.errors).slice(0, 3),
    bad: parts.reduce((sum, part) => sum + part.bad, 0),
  }));
  return { done };
}

async function dropKeys(redisUrl: string, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  // redis-cli is not assumed; a raw RESP UNLINK over a socket is enough and needs no client here.
  const { connect } = await import('node:net');
  const url = new URL(redisUrl);
  const names = keys.flatMap((key) => ['meta', 'log', 'sources', 'source-last'].map((part) => `{${key}}:${part}`));
  const command = ['UNLINK', ...names];
  const payload = `*${command.length}\r\n${command.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;
  await new Promise<void>((resolve) => {
    const socket = connect(Number(url.port || 6379), url.hostname, () => socket.end(payload));
    socket.on('data', () => socket.destroy());
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
}

function perSecond(value: number): string {
  return `${Math.round(value).toLocaleString('en-US')}/s`;
}

function percent(ratio: number): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(0)}%` : '—';
}

function times(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '—';
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** The seq of an id the server answered. */
function seqOf(id: string): number {
  const decoded = decodeCursor(id);
  if (!decoded.ok) throw new Error(`not a livelog id: ${id}`);
  return decoded.cursor.seq;
}
