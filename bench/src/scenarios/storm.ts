import { join } from 'node:path';
import { type NewEntry, SqliteStore } from '@livelog/core';
import { type BenchContext, CpuMeter, CpuTally, ReaderPool, type Row } from '../context.js';
import { ndjsonLine, newEntry, nowUs } from '../entries.js';
import { background, cpuOf, cpuRatio, ms, percentile, perSecond, thousands } from '../format.js';
import type { GroupReport } from '../reader-worker.js';

/** Aggregate catch-up over every reader (issue 12, item 6). */
const TARGET = 2_000_000;
/** Live readers' ingest→delivery p99 during the storm, ms (issue 12, item 6). */
const LIVE_P99_TARGET_MS = 250;
const PRELOAD_BATCH = 20_000;
/** A round still running prints how far its readers got this often (stderr), so slow and stuck differ. */
const PROGRESS_MS = 30_000;
/** Live appends are posted this often while the storm runs. */
const LIVE_TICK_MS = 100;
/** Live appends run this long before the storm: the live readers' latency without it, on the same machine load. */
const QUIET_MS = 3000;

interface StormRun {
  /** Time to caught up per reader, ms, ascending. */
  ttc: Float64Array;
  seconds: number;
  entries: number;
  reads: number;
  shares: number;
  evictions: number;
  /** Readers the server cut as stalled (`livelog_stream_stalled_total`); each fails the check. */
  stalled: number;
  liveEntries: number;
  /** Ingest→delivery latency of the live readers' entries during the storm, µs, ascending. */
  liveLatency: Float64Array;
  /** The same during the QUIET_MS before the storm, µs, ascending. */
  quietLatency: Float64Array;
  liveCheck: string;
  cpu: CpuTally;
  check: string;
}

/**
 * Reconnect storm: N readers reconnect at once with Last-Event-ID (as after a server restart), each
 * between `stormMinBehind` and `stormMaxBehind` entries behind the head, nearly all behind the hot
 * ring, while `stormLiveRate` entries/s keep arriving. Every reader checks every frame from its
 * cursor on. Measured twice in the same run on the same data: with the catch-up page cache
 * (`--catchup-cache`, default 32 MiB) and without it (`--catchup-cache 0`, each reader reads its
 * own pages); reported: time to caught up (p50/p99 over readers), aggregate catch-up rate, and store
 * page reads (`livelog_catchup_page_reads_total`).
 */
export async function stormScenario(ctx: BenchContext): Promise<{ rows: Row[]; notes: string[] }> {
  const { stormReaders: readers, stormMinBehind: minBehind, stormMaxBehind: maxBehind } = ctx.config;
  const dir = join(ctx.scratch, 'storm');
  const preloadStarted = performance.now();
  const store = new SqliteStore({ dir });
  await store.open();
  let stream: string;
  try {
    stream = store.streamId;
    const time = Date.now();
    const total = maxBehind + 1000;
    for (let first = 0; first < total; first += PRELOAD_BATCH) {
      const batch: NewEntry[] = [];
      for (let i = first; i < Math.min(total, first + PRELOAD_BATCH); i++) batch.push(newEntry(i, time));
      await store.append(batch);
    }
  } finally {
    await store.close();
  }
  const preloadSeconds = (performance.now() - preloadStarted) / 1000;

  // With the cache first: the baseline then runs on a warmer OS page cache, which favours it.
  const cached = await stormOnce(ctx, dir, stream, ['--catchup-cache', '32MiB']);
  const baseline = await stormOnce(ctx, dir, stream, ['--catchup-cache', '0']);
  const ceiling = await ceilingOnce(ctx, Math.round(cached.entries / readers));

  const label = `${thousands(readers)} readers ${thousands(minBehind)}–${thousands(maxBehind)} behind, ${thousands(ctx.config.stormLiveRate)}/s live`;
  const row = (name: string, run: StormRun, other: StormRun): Row => {
    const rate = run.entries / run.seconds;
    return {
      scenario: `6. reconnect storm, ${label}, ${name}`,
      livelog: `${perSecond(run.entries, run.seconds)}; caught up p50 ${(percentile(run.ttc, 0.5) / 1000).toFixed(2)} s, p99 ${(percentile(run.ttc, 0.99) / 1000).toFixed(2)} s; ${thousands(run.reads)} page reads`,
      ceiling: `other: ${perSecond(other.entries, other.seconds)}; p99 ${(percentile(other.ttc, 0.99) / 1000).toFixed(2)} s; ${thousands(other.reads)} page reads`,
      ratio: `reads ×${(run.reads / Math.max(1, other.reads)).toFixed(3)}, rate ×${(rate / (other.entries / other.seconds)).toFixed(2)}`,
      cpuRatio: cpuRatio(run.cpu, ceiling.cpu),
      target: `≥ ${thousands(TARGET)}/s`,
      result: rate >= TARGET ? 'PASS' : 'MISS',
      cpu: cpuOf(run.cpu),
      ceilingCpu: cpuOf(other.cpu),
      background: background(run.cpu.background, other.cpu.background),
      check: run.check,
    };
  };
  const liveRow = (name: string, run: StormRun): Row => {
    const p99 = percentile(run.liveLatency, 0.99) / 1000;
    return {
      scenario: `6. storm: live readers' latency p50 / p99, ${name}`,
      livelog: `${ms(percentile(run.liveLatency, 0.5))} / ${ms(p99 * 1000)}`,
      ceiling: `before the storm: ${ms(percentile(run.quietLatency, 0.5))} / ${ms(percentile(run.quietLatency, 0.99))}`,
      ratio: '',
      cpuRatio: '',
      target: `p99 ≤ ${LIVE_P99_TARGET_MS} ms`,
      result: p99 <= LIVE_P99_TARGET_MS ? 'PASS' : 'MISS',
      cpu: '',
      ceilingCpu: '',
      background: '',
      check: run.liveCheck,
    };
  };
  const ceilingRate = ceiling.entries / ceiling.seconds;
  const ceilingRow: Row = {
    scenario: `6. storm ceiling: raw node:http, same frames from memory to ${thousands(readers)} readers`,
    livelog: `${perSecond(ceiling.entries, ceiling.seconds)}; all done p50 ${(percentile(ceiling.ttc, 0.5) / 1000).toFixed(2)} s, p99 ${(percentile(ceiling.ttc, 0.99) / 1000).toFixed(2)} s`,
    ceiling: '',
    ratio: `page cache ÷ ceiling ${((cached.entries / cached.seconds / ceilingRate) * 100).toFixed(0)}%`,
    cpuRatio: '',
    target: '',
    result: '',
    cpu: cpuOf(ceiling.cpu),
    ceilingCpu: '',
    background: background(ceiling.cpu.background, Number.NaN),
    check: ceiling.check,
  };
  return {
    rows: [
      row('page cache', cached, baseline),
      liveRow('page cache', cached),
      row('no cache (baseline)', baseline, cached),
      liveRow('no cache (baseline)', baseline),
      ceilingRow,
    ],
    notes: [
      `storm preload: ${thousands(maxBehind + 1000)} entries through SqliteStore.append in ${preloadSeconds.toFixed(1)} s`,
      `storm with the page cache: ${thousands(cached.reads)} store page reads, ${thousands(cached.shares)} shared pages, ${thousands(cached.evictions)} evictions, ${thousands(cached.liveEntries)} live entries meanwhile, ${cached.stalled} readers cut as stalled; ` +
        `without it: ${thousands(baseline.reads)} store page reads (×${(baseline.reads / Math.max(1, cached.reads)).toFixed(1)}), ${baseline.stalled} readers cut as stalled`,
    ],
  };
}

async function stormOnce(ctx: BenchContext, dir: string, stream: string, args: string[]): Promise<StormRun> {
  const { stormReaders: readers, stormMinBehind: minBehind, stormMaxBehind: maxBehind, stormLiveRate: liveRate } = ctx.config;
  const { child, port } = await ctx.startLivelog(dir, `storm${args.join('')}`, args);
  // The live readers get a process of their own: their latency is then the server's, not that of a
  // reader process busy parsing the catch-up readers' frames.
  const liveReaders = new ReaderPool(1);
  let live: { stop: () => Promise<number> } | undefined;
  try {
    await Promise.all(liveReaders.children.map((reader) => reader.ready));
    const head = await metric(child.url, 'livelog_store_last_seq');
    const spread = maxBehind - minBehind + 1;
    const resume = Array.from({ length: readers }, (_, i) => {
      const behind = minBehind + ((i * 7919) % spread);
      return { lastEventId: `${stream}:${head - behind}`, firstSeq: head - behind + 1, target: behind };
    });
    const entries = resume.reduce((sum, item) => sum + item.target, 0);
    // Readers at the head before the storm (no Last-Event-ID: they start at the newest entry); each
    // checks every frame and samples the latency of every live entry.
    await liveReaders.open({
      port,
      path: '/api/stream',
      readers: ctx.config.stormLiveReaders,
      expectFirstSeq: head + 1,
      verifyEvery: 1,
      latency: { sampleEvery: 1, fromSeq: head + 1, indexOffset: 0 },
    });
    const meter = new CpuMeter([child.pid, ...ctx.readers.pids, ...liveReaders.pids], () => [...ctx.ownPids(), ...liveReaders.pids]);
    live = liveAppends(child.url, head, liveRate);
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    // Hands over (and forgets) the samples so far: what follows is during the storm.
    const quietLatency = (await liveReaders.latency()).sort();
    meter.start();
    const started = nowUs();
    await ctx.readers.openResuming({ port, path: '/api/stream', wave: readers, verifyEvery: 1 }, resume);
    const report = await waitReporting(ctx, `storm ${args.join(' ')}`, entries, started);
    const shares = meter.stop();
    const liveEntries = await live.stop();
    await liveReaders.arm(liveEntries);
    const liveReport = await liveReaders.wait(60_000);
    const liveLatency = (await liveReaders.latency()).sort();
    const times = await ctx.readers.times();
    const ttc = Float64Array.from(times, (at) => (at === 0 ? Number.POSITIVE_INFINITY : (at - started) / 1000)).sort();
    const seconds = report.doneAtUs === 0 ? Number.POSITIVE_INFINITY : (report.doneAtUs - started) / 1e6;
    const cpu = new CpuTally();
    cpu.add(seconds, shares, meter.background, entries);
    let check = `${readers}× own range in order, once (every frame checked)`;
    if (report.errors > 0) check = `FAIL ${report.errors} errors: ${report.firstError}`;
    else if (report.readers !== readers) check = `FAIL ${report.readers}/${readers} readers`;
    else if (report.doneAtUs === 0) check = `FAIL not every reader caught up: ${progress(report, entries, started)}`;
    let liveCheck = `${liveReport.readers}× ${thousands(liveEntries)} live entries in order, once (every frame checked); ${thousands(liveLatency.length)} samples`;
    if (liveReport.errors > 0) liveCheck = `FAIL ${liveReport.errors} errors: ${liveReport.firstError}`;
    else if (liveReport.doneAtUs === 0 || liveReport.minEntries !== liveEntries) {
      liveCheck = `FAIL live readers got ${liveReport.minEntries}–${liveReport.maxEntries} of ${liveEntries}`;
    }
    await ctx.readers.close();
    return {
      ttc,
      seconds,
      entries,
      reads: await metric(child.url, 'livelog_catchup_page_reads_total'),
      shares: await metric(child.url, 'livelog_catchup_page_shares_total'),
      evictions: await metric(child.url, 'livelog_catchup_page_evictions_total'),
      stalled: await metric(child.url, 'livelog_stream_stalled_total'),
      liveEntries,
      liveLatency,
      quietLatency,
      liveCheck,
      cpu,
      check,
    };
  } finally {
    await live?.stop().catch(() => undefined);
    await ctx.readers.close();
    await Promise.allSettled(liveReaders.children.map((reader) => reader.stop(undefined, 5000)));
    await ctx.stopLivelog(child);
  }
}

/**
 * The raw ceiling for the same load: the bare node:http server writes pre-encoded frames of the same
 * size, from memory, to as many readers (the mean range each), waiting for `drain` like livelog does.
 * No store, no live appends: how fast this machine can move these bytes to these reader processes.
 */
async function ceilingOnce(ctx: BenchContext, perReader: number): Promise<StormRun> {
  const { stormReaders: readers } = ctx.config;
  const port = (await ctx.ceiling.ready).port;
  try {
    await ctx.ceiling.call('prepare', { entries: perReader, time: Date.now() });
    await ctx.readers.open({ port, path: '/stream', readers, expectFirstSeq: 1, verifyEvery: 1, wave: readers });
    await ctx.readers.arm(perReader);
    const meter = new CpuMeter([ctx.ceiling.pid, ...ctx.readers.pids], () => ctx.ownPids()).start();
    const started = nowUs();
    await ctx.ceiling.call('blast', { first: 1, count: perReader });
    const report = await waitReporting(ctx, 'storm ceiling', readers * perReader, started);
    const shares = meter.stop();
    const seconds = report.doneAtUs === 0 ? Number.POSITIVE_INFINITY : (report.doneAtUs - started) / 1e6;
    const cpu = new CpuTally();
    cpu.add(seconds, shares, meter.background, readers * perReader);
    let check = `${readers}× 1..${thousands(perReader)} in order, once (every frame checked)`;
    if (report.errors > 0) check = `FAIL ${report.errors} errors: ${report.firstError}`;
    else if (report.doneAtUs === 0) check = `FAIL not every reader got every frame: ${progress(report, readers * perReader, started)}`;
    const ttc = Float64Array.from(await ctx.readers.times(), (at) => (at === 0 ? Number.POSITIVE_INFINITY : (at - started) / 1000)).sort();
    return {
      ttc,
      seconds,
      entries: readers * perReader,
      reads: 0,
      shares: 0,
      evictions: 0,
      stalled: 0,
      liveEntries: 0,
      liveLatency: new Float64Array(0),
      quietLatency: new Float64Array(0),
      liveCheck: '',
      cpu,
      check,
    };
  } finally {
    await ctx.readers.close();
    await ctx.ceiling.call('release', undefined);
  }
}

/**
 * Waits for the round's readers up to `stormTimeoutSec`, printing their progress every PROGRESS_MS: a
 * round that does not finish then says whether its readers were still moving (slow) or not (stuck).
 */
async function waitReporting(ctx: BenchContext, label: string, total: number, started: number): Promise<GroupReport> {
  const deadline = performance.now() + ctx.config.stormTimeoutSec * 1000;
  for (;;) {
    const left = deadline - performance.now();
    const report = await ctx.readers.wait(Math.max(1, Math.min(PROGRESS_MS, left)));
    if (!report.timedOut) return report;
    const over = left <= PROGRESS_MS;
    process.stderr.write(`\n  ${label}: ${progress({ ...report, timedOut: over }, total, started)}`);
    if (over) {
      process.stderr.write(` — over LIVELOG_BENCH_STORM_TIMEOUT_SEC=${ctx.config.stormTimeoutSec}, round stopped\n`);
      return report;
    }
  }
}

/** How far a round's readers got: readers at their target, entries towards the total, the rate so far. */
function progress(report: GroupReport, total: number, started: number): string {
  const seconds = (nowUs() - started) / 1e6;
  const timedOut = report.timedOut ? ' (timed out)' : '';
  return (
    `after ${seconds.toFixed(0)} s${timedOut} ${thousands(report.reached)}/${thousands(report.readers)} readers caught up, ` +
    `${thousands(report.towardsTarget)} of ${thousands(total)} entries (${perSecond(report.towardsTarget, seconds)} so far), ` +
    `${report.closed} connections closed`
  );
}

/**
 * Posts `rate` entries/s in batches every LIVE_TICK_MS until stopped; resolves to the entries posted.
 * Each entry carries its send time (`sent`, µs on CLOCK_MONOTONIC) for the live readers' latency.
 */
function liveAppends(url: string, head: number, rate: number): { stop: () => Promise<number> } {
  const batch = Math.max(1, Math.round((rate * LIVE_TICK_MS) / 1000));
  let posted = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const tick = performance.now();
      const response = await fetch(`${url}/api/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: liveBody(head + posted, batch),
      });
      await response.arrayBuffer();
      // A refused batch would leave a hole in the seqs the live readers expect.
      if (!response.ok) throw new Error(`live append answered ${response.status}`);
      posted += batch;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, LIVE_TICK_MS - (performance.now() - tick))));
    }
  })();
  // A failure (the server went away mid-run) surfaces at stop(), not as an unhandled rejection.
  loop.catch(() => undefined);
  return {
    stop: async () => {
      running = false;
      await loop;
      return posted;
    },
  };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  if (match === null) throw new Error(`no metric ${name} at ${url}`);
  return Number(match[1]);
}

function liveBody(first: number, count: number): Buffer {
  const sent = nowUs();
  const time = Date.now();
  let text = '';
  for (let i = 0; i < count; i++) text += `${ndjsonLine(first + i, time, `,"sent":${sent}`)}\n`;
  return Buffer.from(text, 'utf8');
}
