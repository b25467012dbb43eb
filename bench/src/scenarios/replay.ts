import { join } from 'node:path';
import { type NewEntry, SqliteStore } from '@livelog/core';
import { type BenchContext, CpuMeter, CpuTally, type Row } from '../context.js';
import { ndjsonBody, newEntry, nowUs } from '../entries.js';
import { background, cpuOf, cpuRatio, median, percent, perSecond } from '../format.js';
import { IngestClients } from '../ingest-load.js';
import type { OpenArgs } from '../reader-worker.js';
import { checkText } from './fanout.js';

/** From the store (issue 12). */
const TARGET = 1_000_000;
/** From the hot ring (issue 12). */
const RING_TARGET = 2_000_000;
/** Frame bytes per entry the ring must hold, with room to spare (frames are ~250 bytes). */
const RING_BYTES_PER_ENTRY = 400;
const PRELOAD_BATCH = 20_000;
const TIMEOUT_MS = 300_000;

/**
 * Replay: one reader `?from=start` with N entries behind it, so everything but the newest 10,000
 * comes from SQLite pages. The entries are preloaded through `SqliteStore` directly, before the
 * server opens the same directory. The ceiling writes N pre-encoded frames of the same bytes to one
 * reader. Rounds alternate; the median of each is reported.
 */
export async function replayScenario(ctx: BenchContext): Promise<{ rows: Row[]; notes: string[] }> {
  const entries = ctx.config.replayEntries;
  const rounds = Math.min(3, ctx.config.rounds);
  const dir = join(ctx.scratch, 'replay');
  const preloadStarted = performance.now();
  const store = new SqliteStore({ dir });
  await store.open();
  try {
    const time = Date.now();
    for (let first = 0; first < entries; first += PRELOAD_BATCH) {
      const batch: NewEntry[] = [];
      for (let i = first; i < Math.min(entries, first + PRELOAD_BATCH); i++) batch.push(newEntry(i, time));
      await store.append(batch);
    }
  } finally {
    await store.close();
  }
  const preloadSeconds = (performance.now() - preloadStarted) / 1000;

  const { child, port } = await ctx.startLivelog(dir, 'replay');
  const ceilingPort = (await ctx.ceiling.ready).port;
  const live: number[] = [];
  const raw: number[] = [];
  const liveCpu = new CpuTally();
  const rawCpu = new CpuTally();
  const checks: string[] = [];
  try {
    await ctx.ceiling.call('prepare', { entries, time: Date.now() });
    for (let round = 0; round < rounds; round++) {
      const liveRound = await replayOnce(
        ctx,
        [child.pid],
        { port, path: '/api/stream?from=start', readers: 1, expectFirstSeq: 1 },
        entries,
      );
      live.push(liveRound.seconds);
      liveCpu.add(liveRound.seconds, liveRound.cpu, liveRound.background, entries);
      checks.push(liveRound.check);
      const rawRound = await replayOnce(
        ctx,
        [ctx.ceiling.pid],
        { port: ceilingPort, path: '/stream', readers: 1, expectFirstSeq: 1 },
        entries,
        () => ctx.ceiling.call('blast', { first: 1, count: entries }),
      );
      raw.push(rawRound.seconds);
      rawCpu.add(rawRound.seconds, rawRound.cpu, rawRound.background, entries);
    }
  } finally {
    await ctx.ceiling.call('release', undefined);
    await ctx.stopLivelog(child);
  }

  const ring = await ringReplay(ctx, rounds);
  const liveRate = entries / median(live);
  const ringRate = ring.entries / median(ring.seconds);
  return {
    rows: [
      {
        scenario: `3. replay, 1 reader ${entries.toLocaleString('en-US')} entries behind (${rounds} rounds)`,
        livelog: perSecond(entries, median(live)),
        ceiling: perSecond(entries, median(raw)),
        ratio: percent(median(raw) / median(live)),
        cpuRatio: cpuRatio(liveCpu, rawCpu),
        target: `≥ ${TARGET.toLocaleString('en-US')}/s`,
        result: liveRate >= TARGET ? 'PASS' : 'MISS',
        cpu: cpuOf(liveCpu),
        ceilingCpu: cpuOf(rawCpu),
        background: background(liveCpu.background, rawCpu.background),
        check: checks.find((check) => check.startsWith('FAIL')) ?? checks[0] ?? '',
      },
      {
        scenario: `3. replay from the hot ring, 1 reader ${ring.entries.toLocaleString('en-US')} entries behind (${rounds} rounds)`,
        livelog: perSecond(ring.entries, median(ring.seconds)),
        // The ceiling's rate per entry from the rounds above: the same frames to one reader.
        ceiling: perSecond(entries, median(raw)),
        ratio: percent(ringRate / (entries / median(raw))),
        cpuRatio: cpuRatio(ring.cpu, rawCpu),
        target: `≥ ${RING_TARGET.toLocaleString('en-US')}/s`,
        result: ringRate >= RING_TARGET ? 'PASS' : 'MISS',
        cpu: cpuOf(ring.cpu),
        ceilingCpu: cpuOf(rawCpu),
        background: background(ring.cpu.background, rawCpu.background),
        check: ring.checks.find((check) => check.startsWith('FAIL')) ?? ring.checks[0] ?? '',
      },
    ],
    notes: [
      `replay preload: ${entries.toLocaleString('en-US')} entries through SqliteStore.append in ${preloadSeconds.toFixed(1)} s (${perSecond(entries, preloadSeconds)}, in process, no HTTP)`,
    ],
  };
}

/**
 * Replay from the hot ring: a server whose ring holds every entry (`--ring-entries`, `--ring-bytes`)
 * receives them over HTTP, then one reader at a time asks for `?from=start` and gets them all from
 * the ring's shared frame buffers, none from SQLite.
 */
async function ringReplay(
  ctx: BenchContext,
  rounds: number,
): Promise<{ entries: number; seconds: number[]; cpu: CpuTally; checks: string[] }> {
  const batch = 1000;
  const entries = Math.ceil(ctx.config.replayRingEntries / batch) * batch;
  const { child, port } = await ctx.startLivelog(join(ctx.scratch, 'replay-ring'), 'replay-ring', [
    '--ring-entries',
    String(entries),
    '--ring-bytes',
    String(entries * RING_BYTES_PER_ENTRY),
  ]);
  const seconds: number[] = [];
  const cpu = new CpuTally();
  const checks: string[] = [];
  try {
    const clients = new IngestClients(port, '/api/logs', 4);
    const time = Date.now();
    const bodies = Array.from({ length: 16 }, (_, k) => ndjsonBody(k * batch, batch, time));
    try {
      await clients.postAll(bodies, entries / batch, 4);
    } finally {
      clients.close();
    }
    for (let round = 0; round < rounds; round++) {
      const result = await replayOnce(ctx, [child.pid], { port, path: '/api/stream?from=start', readers: 1, expectFirstSeq: 1 }, entries);
      seconds.push(result.seconds);
      cpu.add(result.seconds, result.cpu, result.background, entries);
      checks.push(result.check);
    }
  } finally {
    await ctx.stopLivelog(child);
  }
  return { entries, seconds, cpu, checks };
}

/** One reader from the start; the clock runs from before it connects (livelog) or from `send` (ceiling). */
async function replayOnce(
  ctx: BenchContext,
  serverPids: number[],
  open: OpenArgs,
  entries: number,
  send?: () => Promise<unknown>,
): Promise<{ seconds: number; cpu: number[]; background: number; check: string }> {
  try {
    const meter = new CpuMeter([...serverPids, ...ctx.readers.pids], () => ctx.ownPids());
    let started: number;
    if (send === undefined) {
      meter.start();
      started = nowUs();
      await ctx.readers.open({ ...open, target: entries });
    } else {
      await ctx.readers.open(open);
      await ctx.readers.arm(entries);
      meter.start();
      started = nowUs();
      await send();
    }
    const report = await ctx.readers.wait(TIMEOUT_MS);
    const shares = meter.stop();
    if (report.doneAtUs === 0) throw new Error(`replay on port ${open.port} did not complete: ${JSON.stringify(report)}`);
    return {
      seconds: (report.doneAtUs - started) / 1e6,
      cpu: shares,
      background: meter.background,
      check: checkText(await ctx.readers.report(), 1, entries),
    };
  } finally {
    await ctx.readers.close();
  }
}
