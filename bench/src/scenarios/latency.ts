import { join } from 'node:path';
import { durableCommitFloor } from '../commit-floor.js';
import { type BenchContext, CpuMeter, CpuTally, type Row } from '../context.js';
import { ndjsonLine, nowUs } from '../entries.js';
import { background, cpuOf, cpuRatio, ms, percentile, times } from '../format.js';
import { IngestClients } from '../ingest-load.js';
import { checkText } from './fanout.js';

const ROUNDS = 2;
const TIMEOUT_MS = 60_000;

interface LatencyRound {
  samples: Float64Array;
  cpu: number[];
  background: number;
  seconds: number;
  check: string;
  /** Entries/s actually sent (the sender may fall behind its schedule on a busy machine). */
  sentRate: number;
  lastSeq: number;
  /** Entries delivered, summed over readers. */
  delivered: number;
}

/**
 * Ingest-to-delivery latency at a steady rate: a paced sender posts `latencyBatch` entries every
 * batch/rate seconds, each carrying its send time (`sent`, µs on CLOCK_MONOTONIC, which all processes
 * on the machine share); every n-th reader records, per entry, arrival minus send time. The first
 * `latencyWarmupSec` of each round are not sampled. The ceiling relays each POSTed line straight to
 * every reader. Rounds alternate between the two; samples of all rounds are pooled.
 */
export async function latencyScenario(ctx: BenchContext): Promise<Row[]> {
  const { latencyReaders, latencyRate } = ctx.config;
  const { child, port } = await ctx.startLivelog(join(ctx.scratch, 'latency'), 'latency');
  const ceilingPort = (await ctx.ceiling.ready).port;
  const live: LatencyRound[] = [];
  const raw: LatencyRound[] = [];
  try {
    let head = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const liveRound = await run(ctx, [child.pid], port, '/api/stream', '/api/logs', head);
      head = liveRound.lastSeq;
      live.push(liveRound);
      await ctx.ceiling.call('resetSeq', undefined);
      raw.push(await run(ctx, [ctx.ceiling.pid], ceilingPort, '/stream', '/ingest', 0));
    }
  } finally {
    await ctx.stopLivelog(child);
  }
  const liveStats = pool(live);
  const rawStats = pool(raw);
  const durability = process.env.LIVELOG_DURABILITY === 'normal' ? 'normal' : 'full';
  const { latencyBatch } = ctx.config;
  const commits = await durableCommitFloor(ctx.scratch, durability, latencyBatch, (latencyBatch / latencyRate) * 1000);
  const label = `${latencyRate.toLocaleString('en-US')}/s, ${latencyReaders} readers`;
  const sentRate = Math.min(...live.map((round) => round.sentRate));
  const row = (name: string, pick: (stats: Stats) => number): Row => ({
    scenario: `4. latency ${name}, ${label}`,
    livelog: ms(pick(liveStats)),
    ceiling: ms(pick(rawStats)),
    ratio: times(pick(liveStats) / pick(rawStats)),
    cpuRatio: '',
    target: '',
    result: '',
    cpu: '',
    ceilingCpu: '',
    background: '',
    check: '',
  });
  return [
    {
      ...row('p50', (stats) => stats.p50),
      cpu: cpuOf(liveStats.cpu),
      ceilingCpu: cpuOf(rawStats.cpu),
      cpuRatio: cpuRatio(liveStats.cpu, rawStats.cpu),
      background: background(liveStats.cpu.background, rawStats.cpu.background),
      check: live.map((round) => round.check).find((check) => check.startsWith('FAIL')) ?? (live[0] as LatencyRound).check,
    },
    {
      ...row('p99', (stats) => stats.p99),
      check: `${liveStats.samples.toLocaleString('en-US')} samples, ${ROUNDS} rounds, sent ≥ ${Math.round(sentRate).toLocaleString('en-US')}/s`,
    },
    row('max', (stats) => stats.max),
    floorRow('p50', 1.3, rawStats.p50, commits.sorted, `${commits.durability}, ${latencyBatch} rows`),
    floorRow('p99', 1.5, rawStats.p99, commits.sorted, `${commits.durability}, ${latencyBatch} rows`),
  ];
}

/**
 * The least latency any store that delivers only durable entries could reach in this run: the
 * ceiling's percentile plus the fastest raw commit of one batch (every sample waits for one commit,
 * so it is at least its ceiling-like path plus the shortest commit). Above `target` × the ceiling,
 * the target is out of reach in this run whatever livelog does.
 */
function floorRow(name: string, target: number, ceilingUs: number, commitsUs: Float64Array, what: string): Row {
  const fastest = commitsUs[0] ?? Number.NaN;
  const floor = ceilingUs + fastest;
  const ratio = floor / ceilingUs;
  return {
    scenario: `4. latency ${name} floor: ceiling + fastest durable commit`,
    livelog: ms(floor),
    ceiling: ms(ceilingUs),
    ratio: times(ratio),
    cpuRatio: '',
    target: `≤ ${target}×`,
    result: ratio > target ? 'OUT OF REACH' : 'REACHABLE',
    cpu: '',
    ceilingCpu: '',
    background: '',
    check: `raw better-sqlite3 commits (${what}, paced as the sender): fastest ${ms(fastest)}, p50 ${ms(percentile(commitsUs, 0.5))}, p99 ${ms(percentile(commitsUs, 0.99))} of ${commitsUs.length}`,
  };
}

interface Stats {
  p50: number;
  p99: number;
  max: number;
  samples: number;
  cpu: CpuTally;
}

function pool(rounds: LatencyRound[]): Stats {
  const all = new Float64Array(rounds.reduce((sum, round) => sum + round.samples.length, 0));
  let at = 0;
  const tally = new CpuTally();
  for (const round of rounds) {
    all.set(round.samples, at);
    at += round.samples.length;
    tally.add(round.seconds, round.cpu, round.background, round.delivered);
  }
  all.sort();
  return {
    p50: percentile(all, 0.5),
    p99: percentile(all, 0.99),
    max: all.length === 0 ? Number.NaN : (all[all.length - 1] as number),
    samples: all.length,
    cpu: tally,
  };
}

async function run(
  ctx: BenchContext,
  serverPids: number[],
  port: number,
  streamPath: string,
  ingestPath: string,
  head: number,
): Promise<LatencyRound> {
  const { latencyRate, latencyBatch, latencySec, latencyWarmupSec, latencyReaders, latencySampleEvery } = ctx.config;
  const periodMs = (latencyBatch / latencyRate) * 1000;
  const batches = Math.round(((latencySec / ROUNDS + latencyWarmupSec) * latencyRate) / latencyBatch);
  const warmupEntries = Math.round(latencyWarmupSec * latencyRate);
  const total = batches * latencyBatch;
  const clients = new IngestClients(port, ingestPath, 16);
  try {
    await ctx.readers.open({
      port,
      path: streamPath,
      readers: latencyReaders,
      expectFirstSeq: head + 1,
      verifyEvery: ctx.config.verifyEvery,
      latency: { sampleEvery: latencySampleEvery, fromSeq: head + warmupEntries + 1, indexOffset: 0 },
    });
    await ctx.readers.arm(total);
    const meter = new CpuMeter([...serverPids, ...ctx.readers.pids], () => ctx.ownPids()).start();
    const started = performance.now();
    const posts: Promise<{ lastSeq: number }>[] = [];
    for (let k = 0; k < batches; k++) {
      const due = started + k * periodMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const sent = nowUs();
      let text = '';
      for (let i = 0; i < latencyBatch; i++) text += `${ndjsonLine(k * latencyBatch + i, Date.now(), `,"sent":${sent}`)}\n`;
      posts.push(clients.post(Buffer.from(text, 'utf8')));
    }
    const replies = await Promise.all(posts);
    const sentRate = total / ((performance.now() - started) / 1000);
    const report = await ctx.readers.wait(TIMEOUT_MS);
    const shares = meter.stop();
    if (report.doneAtUs === 0) throw new Error(`latency run on port ${port} did not complete: ${JSON.stringify(report)}`);
    return {
      samples: await ctx.readers.latency(),
      cpu: shares,
      background: meter.background,
      seconds: (performance.now() - started) / 1000,
      check: checkText(await ctx.readers.report(), latencyReaders, total),
      sentRate,
      lastSeq: Math.max(...replies.map((reply) => reply.lastSeq)),
      delivered: total * latencyReaders,
    };
  } finally {
    clients.close();
    await ctx.readers.close();
  }
}
