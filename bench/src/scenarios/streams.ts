import { join } from 'node:path';
import { type BenchContext, CpuMeter, type LivelogChild, type Row } from '../context.js';
import { ndjsonBody, ndjsonLine, nowUs } from '../entries.js';
import { background, cpu, kb, ms, percent, percentile, perSecond, rate, times } from '../format.js';
import { IngestClients } from '../ingest-load.js';
import type { MemorySample } from '../memory.js';
import { delay } from '../rpc.js';

/** Lets buffers of the last requests settle before memory is sampled. */
const SETTLE_MS = 1000;
const TIMEOUT_MS = 120_000;
/** The latency sender's period: every tick, rate/100 single-entry POSTs. */
const TICK_MS = 10;

const streamName = (prefix: string, i: number): string => `${prefix}-${String(i).padStart(5, '0')}`;

interface IngestRun {
  /** Memory after the first batch alone (one stream), before the timed rest: same process, same store. */
  baseline: MemorySample;
  entries: number;
  seconds: number;
  cpu: number[];
  background: number;
  memory: MemorySample;
  /** Brokers alive after the run (none: no stream has readers). */
  brokers: number;
}

interface LatencyRun {
  p50: number;
  p99: number;
  samples: number;
  check: string;
  sentRate: number;
}

/**
 * Many streams next to one, in the same run, each on a fresh server:
 * 1. ingest: N streams × E entries (one batch each, streams in random order) by C clients, against
 *    the same N batches into the single stream `default`; entries/s, and the server's RSS after both
 *    (after full GCs): what N idle streams cost beyond one;
 * 2. latency: R streams with one live reader each and `rate` entries/s spread over them (one entry per
 *    POST, round robin), against one stream with one reader at the same rate and POSTs; p99 of
 *    ingest→delivery.
 */
export async function streamsScenario(ctx: BenchContext): Promise<Row[]> {
  const { streamsCount, streamsEntries, streamsClients } = ctx.config;
  const single = await ingestRun(ctx, 'single', () => '/api/logs');
  const names = Array.from({ length: streamsCount }, (_, i) => streamName('bench', i));
  shuffle(names);
  const multi = await ingestRun(ctx, 'multi', (i) => `/api/streams/${names[i]}/logs`);
  const ingestRatio = rate(multi.entries, multi.seconds) / rate(single.entries, single.seconds);
  // In one process: after 1 stream, then after all of them. Ingest itself grows the heap and the
  // allocator's pools too, so this is an upper bound; the single-stream run's growth shows how much.
  const rssDelta = multi.memory.rss - multi.baseline.rss;
  const heapDelta = multi.memory.heapUsed - multi.baseline.heapUsed;
  const singleGrowth = single.memory.rss - single.baseline.rss;

  const latency = await latencyRuns(ctx);
  const label = `${streamsCount.toLocaleString('en-US')} streams × ${streamsEntries}, ${streamsClients} clients`;
  const empty = { cpuRatio: '', ceilingCpu: '', cpu: '', background: '', check: '' };
  return [
    {
      ...empty,
      scenario: `7. streams ingest, ${label} (vs 1 stream)`,
      livelog: perSecond(multi.entries, multi.seconds),
      ceiling: perSecond(single.entries, single.seconds),
      ratio: percent(ingestRatio),
      target: '≥ 80%',
      result: ingestRatio >= 0.8 ? 'PASS' : 'MISS',
      cpu: `${cpu(multi.cpu)} / ${cpu(single.cpu)}`,
      background: background(multi.background, single.background),
      check: `${multi.brokers} brokers after`,
    },
    {
      ...empty,
      scenario: `7. streams p99 ingest→delivery, ${latency.multi.readers} streams × 1 reader, ${ctx.config.streamsLatencyRate}/s (vs 1 stream)`,
      livelog: ms(latency.multi.p99),
      ceiling: ms(latency.single.p99),
      ratio: times(latency.multi.p99 / latency.single.p99),
      target: '≤ 2×',
      result: latency.multi.p99 <= 2 * latency.single.p99 ? 'PASS' : 'MISS',
      check: `${latency.multi.check}; p50 ${ms(latency.multi.p50)} vs ${ms(latency.single.p50)}; sent ≥ ${Math.round(Math.min(latency.multi.sentRate, latency.single.sentRate))}/s`,
    },
    {
      ...empty,
      scenario: `7. streams RSS, ${streamsCount.toLocaleString('en-US')} idle streams − 1 stream`,
      livelog: kb(rssDelta),
      ceiling: '',
      ratio: '',
      target: '≤ 20 MB',
      result: rssDelta <= 20 * 1024 * 1024 ? 'PASS' : 'MISS',
      check: `heap ${kb(heapDelta)}; RSS ${kb(multi.baseline.rss)} → ${kb(multi.memory.rss)}; same ingest into 1 stream grew RSS ${kb(singleGrowth)}`,
    },
  ];
}

/** One fresh server; `streamsCount` batches of `streamsEntries` posted to `pathOf(i)`; memory after. */
async function ingestRun(ctx: BenchContext, name: string, pathOf: (i: number) => string): Promise<IngestRun> {
  const { streamsCount, streamsEntries, streamsClients } = ctx.config;
  const { child, port } = await ctx.startLivelog(join(ctx.scratch, `streams-${name}`), `streams-${name}`);
  const clients = new IngestClients(port, '/api/logs', streamsClients);
  try {
    const bodies = Array.from({ length: 64 }, (_, i) => ndjsonBody(i * streamsEntries, streamsEntries, Date.now()));
    // One batch first, untimed: its stream is the baseline the memory of all the others is held against.
    let entries = (await clients.post(bodies[0] as Buffer, pathOf(0))).accepted;
    await delay(SETTLE_MS);
    const baseline = await child.memory();
    const meter = new CpuMeter([child.pid], () => ctx.ownPids()).start();
    const started = performance.now();
    let next = 1;
    await Promise.all(
      Array.from({ length: streamsClients }, async () => {
        while (next < streamsCount) {
          const i = next++;
          // Read after the await: `entries += await …` would add to a stale total.
          const reply = await clients.post(bodies[i % bodies.length] as Buffer, pathOf(i));
          entries += reply.accepted;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const shares = meter.stop();
    if (entries !== streamsCount * streamsEntries) throw new Error(`streams ingest ${name}: ${entries} entries accepted`);
    await delay(SETTLE_MS);
    return {
      baseline,
      entries: entries - streamsEntries,
      seconds,
      cpu: shares,
      background: meter.background,
      memory: await child.memory(),
      brokers: await brokers(child),
    };
  } finally {
    clients.close();
    await ctx.stopLivelog(child);
  }
}

async function brokers(child: LivelogChild): Promise<number> {
  const metrics = await (await fetch(`${child.url}/metrics`)).text();
  return Number(/^livelog_stream_brokers (\d+)$/m.exec(metrics)?.[1] ?? Number.NaN);
}

/** Latency with one reader on each of R streams, then with one reader on one stream, on one server. */
async function latencyRuns(ctx: BenchContext): Promise<{ multi: LatencyRun & { readers: number }; single: LatencyRun }> {
  const readers = ctx.config.streamsLatencyReaders;
  const { child, port } = await ctx.startLivelog(join(ctx.scratch, 'streams-latency'), 'streams-latency');
  const clients = new IngestClients(port, '/api/logs', 16);
  try {
    const names = Array.from({ length: readers }, (_, i) => streamName('lat', i));
    // Streams exist before their readers connect (an unknown stream is a 404).
    let made = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (made < names.length) {
          const name = names[made++] as string;
          const response = await fetch(`${child.url}/api/streams/${name}`, { method: 'PUT', body: '{}' });
          if (response.status !== 200) throw new Error(`PUT ${name}: ${response.status}`);
        }
      }),
    );
    const multi = await latencyRun(ctx, clients, names);
    await ctx.readers.close();
    const singleName = 'lat-single';
    await fetch(`${child.url}/api/streams/${singleName}`, { method: 'PUT', body: '{}' });
    const single = await latencyRun(ctx, clients, [singleName]);
    return { multi: { ...multi, readers }, single };
  } finally {
    await ctx.readers.close();
    clients.close();
    await ctx.stopLivelog(child);
  }
}

/**
 * One live reader per stream of `names`; `rate` entries/s for `seconds`, one entry per POST, streams
 * taken in turn; every entry carries its send time. The first second is not sampled.
 */
async function latencyRun(ctx: BenchContext, clients: IngestClients, names: readonly string[]): Promise<LatencyRun> {
  const { streamsLatencyRate: entriesPerSecond, streamsLatencySec: seconds } = ctx.config;
  const perTick = Math.max(1, Math.round((entriesPerSecond * TICK_MS) / 1000));
  const ticks = Math.round((seconds * 1000) / TICK_MS);
  const total = ticks * perTick;
  const perStream = total / names.length;
  if (!Number.isInteger(perStream)) throw new Error(`streams latency: ${total} entries do not spread evenly over ${names.length} streams`);
  // Entries of the first second are not sampled: seq of a stream's entry k is k + 1.
  const warmup = Math.ceil(entriesPerSecond / names.length);
  await ctx.readers.openPaths(
    {
      port: clients.port,
      expectFirstSeq: 1,
      verifyEvery: 1,
      latency: { sampleEvery: 1, fromSeq: warmup + 1, indexOffset: 0 },
    },
    names.map((name) => `/api/streams/${name}/stream`),
  );
  await ctx.readers.arm(perStream);
  const started = performance.now();
  const posts: Promise<unknown>[] = [];
  let sent = 0;
  for (let tick = 0; tick < ticks; tick++) {
    const wait = started + tick * TICK_MS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    for (let k = 0; k < perTick; k++) {
      const name = names[sent % names.length] as string;
      const body = Buffer.from(`${ndjsonLine(sent, Date.now(), `,"sent":${nowUs()}`)}\n`, 'utf8');
      posts.push(clients.post(body, `/api/streams/${name}/logs`));
      sent++;
    }
  }
  await Promise.all(posts);
  const sentRate = total / ((performance.now() - started) / 1000);
  const report = await ctx.readers.wait(TIMEOUT_MS);
  const samples = (await ctx.readers.latency()).sort();
  const complete = report.doneAtUs > 0 && report.minEntries === perStream && report.maxEntries === perStream && report.errors === 0;
  const check = complete
    ? `every reader exact (${report.verified} verified)`
    : `FAIL: entries ${report.minEntries}..${report.maxEntries} of ${perStream}, ${report.errors} errors ${report.firstError}`;
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), samples: samples.length, check, sentRate };
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}
