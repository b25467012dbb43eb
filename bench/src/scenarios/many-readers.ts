import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchContext, CpuMeter, type Row } from '../context.js';
import { ndjsonLine, nowUs } from '../entries.js';
import { cpu, kb, ms, percentile } from '../format.js';
import { IngestClients } from '../ingest-load.js';
import { perReader } from '../memory.js';
import type { GroupReport } from '../reader-worker.js';
import { delay } from '../rpc.js';
import { checkText } from './fanout.js';

/** Issue 12 item 7. */
const TARGET_READERS = 20_000;
const TARGET_P99_US = 250_000;
const TARGET_RSS_BYTES = 12 * 1024;
/** Heartbeats at 20,000 idle readers: % of one core. */
const TARGET_HEARTBEAT_CPU = 2;
/** Descriptors a server needs besides its readers (store, WAL, listener, IPC, stdio, inotify, …). */
const FD_MARGIN = 100;
/** USER_HZ: Linux reports CPU times in 1/100 s. */
const CLOCK_TICKS = 100;
/** Lets freshly opened connections' buffers and timers settle before sampling. */
const SETTLE_MS = 2000;
/** Quiet server CPU measured before readers connect: the baseline heartbeat CPU is measured against. */
const BASELINE_SEC = 10;
/** After the last batch is sent, how long readers may take to have every entry. */
const WAIT_MS = 60_000;

/**
 * Many concurrent readers on one server (`LIVELOG_BENCH_ONLY=readers20k`, not in the default run):
 * 1. Opens `manyReaders` SSE readers over the reader processes, as many as the server's open-file
 *    limit allows (`npm run bench` raises the soft limit to the hard one; the table says both).
 * 2. Idle: RSS and heap per reader, and the server's CPU over `manyIdleSec` with nothing but
 *    heartbeats flowing, minus its CPU with no readers at all.
 * 3. Live: `manyRate` entries/s for `manySec` in batches of `manyBatch`; every reader must count
 *    every entry, every `manySampleEvery`-th reader checks each frame's seq and order and samples
 *    ingest→delivery latency.
 */
export async function manyReadersScenario(ctx: BenchContext): Promise<{ rows: Row[]; notes: string[] }> {
  const { manyReaders, manyIdleSec, manyRate, manyBatch, manySec, manySampleEvery } = ctx.config;
  // The default cap is 10,000 readers per server (DEFAULTS.maxReaders): this scenario asks for more.
  const { child, port } = await ctx.startLivelog(join(ctx.scratch, 'many-readers'), 'many-readers', ['--max-readers', String(manyReaders)]);
  const notes: string[] = [];
  const fdLimit = openFileLimit(child.pid);
  const readers = Math.min(manyReaders, fdLimit.soft - FD_MARGIN);
  const label = `${readers.toLocaleString('en-US')} readers`;
  notes.push(
    `readers20k: ${readers.toLocaleString('en-US')} readers need ulimit -n ≥ ${(readers + FD_MARGIN).toLocaleString('en-US')} in the server ` +
      `(${TARGET_READERS.toLocaleString('en-US')}: ≥ ${(TARGET_READERS + FD_MARGIN).toLocaleString('en-US')}); ` +
      `this server's limit: soft ${fdLimit.soft}, hard ${fdLimit.hard}${readers < manyReaders ? ` — capped from ${manyReaders.toLocaleString('en-US')}` : ''}`,
  );
  const clients = new IngestClients(port, '/api/logs', 4);
  try {
    await delay(SETTLE_MS);
    const quiet = new CpuMeter([child.pid]).start();
    await delay(Math.min(BASELINE_SEC, manyIdleSec) * 1000);
    const [quietCpu = 0] = quiet.stop();
    const before = await child.memory();

    const opening = performance.now();
    const opened = await ctx.readers.open({
      port,
      path: '/api/stream',
      readers,
      expectFirstSeq: 1,
      verifyEvery: manySampleEvery,
      wave: 200,
      latency: { sampleEvery: manySampleEvery, fromSeq: 1, indexOffset: 0 },
    });
    const openSeconds = (performance.now() - opening) / 1000;
    await delay(SETTLE_MS);
    const after = await child.memory();
    const connected = await child.readers();
    if (opened.readers !== readers || connected !== readers) throw new Error(`readers20k: ${connected} of ${readers} readers connected`);
    const memory = perReader(before, after, readers);

    const idle = new CpuMeter([child.pid, ...ctx.readers.pids], () => ctx.ownPids()).start();
    const kernelBefore = kernelSeconds(child.pid);
    await delay(manyIdleSec * 1000);
    const idleCpu = idle.stop();
    // Kernel time is mostly the loopback TCP send of each heartbeat, the part no server code can remove.
    const kernelShare = ((kernelSeconds(child.pid) - kernelBefore) / manyIdleSec) * 100;
    const heartbeatCpu = (idleCpu[0] ?? 0) - quietCpu;
    // Heartbeats are one write per idle reader per interval: their cost is linear in readers, so a
    // run capped below 20,000 by the open-file limit is judged at its own count scaled up.
    const heartbeatAtTarget = (heartbeatCpu * TARGET_READERS) / readers;

    const live = await liveRun(ctx, clients, child.pid, { readers, rate: manyRate, batch: manyBatch, seconds: manySec });
    const p99 = percentile(live.samples, 0.99);
    const p50 = percentile(live.samples, 0.5);
    const deliveries = live.total * readers;
    notes.push(
      `readers20k: opened ${readers.toLocaleString('en-US')} readers in ${openSeconds.toFixed(1)} s; live ${live.total.toLocaleString('en-US')} entries ` +
        `sent at ${Math.round(live.sentRate).toLocaleString('en-US')}/s (asked ${manyRate.toLocaleString('en-US')}/s in batches of ${manyBatch}); ` +
        `${(deliveries / live.seconds / 1e6).toFixed(2)} M frame deliveries/s until the last reader had all; server ${(
          (((live.cpu[0] ?? 0) / 100) * live.seconds * 1e6) / deliveries
        ).toFixed(2)} µs CPU per delivery`,
    );
    const row = (fields: Partial<Row> & Pick<Row, 'scenario' | 'livelog'>): Row => ({
      ceiling: '',
      ratio: '',
      cpuRatio: '',
      target: '',
      result: '',
      cpu: '',
      ceilingCpu: '',
      background: '',
      check: '',
      ...fields,
    });
    const atTarget = readers >= TARGET_READERS && live.sentRate >= manyRate * 0.95 && manyRate >= 1000;
    return {
      notes,
      rows: [
        row({
          scenario: `7. many readers: ingest→delivery p99, ${label}, ${manyRate.toLocaleString('en-US')}/s`,
          livelog: ms(p99),
          target: `≤ ${ms(TARGET_P99_US)} at 20,000 × 1,000/s`,
          result: p99 <= TARGET_P99_US && atTarget && live.caughtUp ? 'PASS' : 'MISS',
          cpu: cpu(live.cpu),
          background: share(live.background),
          check: live.check,
        }),
        row({
          scenario: `7. many readers: ingest→delivery p50, ${label}`,
          livelog: ms(p50),
          check: `${live.samples.length.toLocaleString('en-US')} samples`,
        }),
        // At this scale the young generation's one-off growth is small per reader: judged all-in.
        row({
          scenario: `7. many readers: RSS per idle reader, all-in, ${label}`,
          livelog: kb(memory.rssAll),
          target: `≤ ${kb(TARGET_RSS_BYTES)}`,
          result: memory.rssAll <= TARGET_RSS_BYTES ? 'PASS' : 'MISS',
          check: `without young-gen growth ${kb(memory.rss)}, JS heap ${kb(memory.heap)}`,
        }),
        row({
          scenario: `7. many readers: heartbeat CPU, ${label} idle ${manyIdleSec} s`,
          livelog: share(heartbeatCpu),
          target: `≤ ${TARGET_HEARTBEAT_CPU}% of a core`,
          // Below the no-reader baseline the difference is noise (seen once: 2.03% with 19,900 readers, 2.20% without), not a cost.
          result: heartbeatCpu < 0 ? 'INVALID' : heartbeatAtTarget <= TARGET_HEARTBEAT_CPU ? 'PASS' : 'MISS',
          cpu: cpu(idleCpu),
          background: share(idle.background),
          check: `server ${share(idleCpu[0] ?? 0)} minus ${share(quietCpu)} with no readers; ×${(TARGET_READERS / readers).toFixed(3)} for 20,000: ${share(heartbeatAtTarget)}; kernel ${share(kernelShare)} of the server's`,
        }),
      ],
    };
  } finally {
    clients.close();
    await ctx.readers.close();
    await ctx.stopLivelog(child);
  }
}

interface LiveRun {
  samples: Float64Array;
  cpu: number[];
  background: number;
  seconds: number;
  sentRate: number;
  total: number;
  check: string;
  /** Every reader had every entry, in order, before the wait ended. */
  caughtUp: boolean;
}

/** Paced ingest at `rate`, each entry carrying its send time; waits until every reader has every entry. */
async function liveRun(
  ctx: BenchContext,
  clients: IngestClients,
  serverPid: number,
  options: { readers: number; rate: number; batch: number; seconds: number },
): Promise<LiveRun> {
  const { readers, rate, batch, seconds } = options;
  const periodMs = (batch / rate) * 1000;
  const batches = Math.max(1, Math.round((seconds * rate) / batch));
  const total = batches * batch;
  await ctx.readers.arm(total);
  const meter = new CpuMeter([serverPid, ...ctx.readers.pids], () => ctx.ownPids()).start();
  const started = performance.now();
  const posts: Promise<unknown>[] = [];
  for (let k = 0; k < batches; k++) {
    const wait = started + k * periodMs - performance.now();
    if (wait > 0) await delay(wait);
    const sent = nowUs();
    let text = '';
    for (let i = 0; i < batch; i++) text += `${ndjsonLine(k * batch + i, Date.now(), `,"sent":${sent}`)}\n`;
    posts.push(clients.post(Buffer.from(text, 'utf8')));
  }
  // The rate the batches went out at (acks may come later from a busy server: that is latency, not rate).
  const sentRate = total / ((performance.now() - started + periodMs) / 1000);
  await Promise.all(posts);
  const report = await ctx.readers.wait(WAIT_MS);
  const elapsed = (performance.now() - started) / 1000;
  const shares = meter.stop();
  return {
    samples: (await ctx.readers.latency()).sort(),
    cpu: shares,
    background: meter.background,
    seconds: elapsed,
    sentRate,
    total,
    caughtUp: !report.timedOut && checkText(report, readers, total).startsWith(`${readers}×`),
    check: report.timedOut && report.errors === 0 ? slowText(report, total) : checkText(report, readers, total),
  };
}

/**
 * Readers still short of the last entry when the wait ended, without a seq error: the machine did not
 * keep up (a MISS of the rate), nothing was lost (a FAIL is only for errors).
 */
function slowText(report: GroupReport, total: number): string {
  return `not caught up in ${WAIT_MS / 1000} s: ${report.minEntries.toLocaleString('en-US')}..${report.maxEntries.toLocaleString(
    'en-US',
  )} of ${total.toLocaleString('en-US')} entries per reader, 0 seq errors (${report.verified} checked per frame)`;
}

/** The process's open-file limit (Linux /proc; elsewhere assumed unlimited). */
function openFileLimit(pid: number): { soft: number; hard: number } {
  try {
    const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    const parse = (value: string | undefined): number =>
      value === undefined || value === 'unlimited' ? Number.POSITIVE_INFINITY : Number(value);
    return { soft: parse(line?.[1]), hard: parse(line?.[2]) };
  } catch {
    return { soft: Number.POSITIVE_INFINITY, hard: Number.POSITIVE_INFINITY };
  }
}

/** % of one core, to 0.01: heartbeat costs are fractions of a percent. */
function share(percentOfCore: number): string {
  return Number.isFinite(percentOfCore) ? `${percentOfCore.toFixed(2)}%` : '—';
}

/** CPU seconds `pid` spent in the kernel (stime of /proc/<pid>/stat; NaN elsewhere). */
function kernelSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
