import { join } from 'node:path';
import { type BenchContext, CpuMeter, CpuTally, type Row } from '../context.js';
import { ndjsonBody } from '../entries.js';
import { background, cpuOf, cpuRatio, median, percent, perSecond } from '../format.js';
import { IngestClients } from '../ingest-load.js';

const TARGET = 100_000;

/**
 * Durable ingest: NDJSON batches posted by a few keep-alive clients, each acknowledged only once its
 * batch is committed to SQLite. The ceiling is the same HTTP load against a server that only counts
 * lines. Rounds alternate between the two; the median round of each is reported.
 */
export async function ingestScenario(ctx: BenchContext): Promise<Row[]> {
  const { ingestBatch, ingestBatches, ingestClients, rounds } = ctx.config;
  // Distinct bodies (not one repeated) so that nothing downstream can benefit from identical input.
  const bodies = Array.from({ length: 16 }, (_, k) => ndjsonBody(k * ingestBatch, ingestBatch, Date.now()));
  const perRound = Math.max(ingestClients * 2, Math.round(ingestBatches / rounds));
  const warmup = Math.min(20, perRound);

  const { child, port } = await ctx.startLivelog(join(ctx.scratch, 'ingest'), 'ingest');
  const live = new IngestClients(port, '/api/logs', ingestClients);
  const raw = new IngestClients((await ctx.ceiling.ready).port, '/ingest', ingestClients);
  const liveRates: number[] = [];
  const rawRates: number[] = [];
  const liveCpu = new CpuTally();
  const rawCpu = new CpuTally();
  let posted = 0;
  let lastSeq = 0;
  try {
    posted += (await live.postAll(bodies, warmup, ingestClients)).entries;
    await raw.postAll(bodies, warmup, ingestClients);
    for (let round = 0; round < rounds; round++) {
      const liveMeter = new CpuMeter([child.pid], () => ctx.ownPids()).start();
      const liveRound = await live.postAll(bodies, perRound, ingestClients);
      liveCpu.add(liveRound.elapsedMs / 1000, liveMeter.stop(), liveMeter.background, liveRound.entries);
      liveRates.push(liveRound.entries / (liveRound.elapsedMs / 1000));
      posted += liveRound.entries;
      lastSeq = liveRound.lastSeq;

      const rawMeter = new CpuMeter([ctx.ceiling.pid], () => ctx.ownPids()).start();
      const rawRound = await raw.postAll(bodies, perRound, ingestClients);
      rawCpu.add(rawRound.elapsedMs / 1000, rawMeter.stop(), rawMeter.background, rawRound.entries);
      rawRates.push(rawRound.entries / (rawRound.elapsedMs / 1000));
    }
  } finally {
    live.close();
    raw.close();
    await ctx.stopLivelog(child);
  }

  const liveRate = median(liveRates);
  const rawRate = median(rawRates);
  return [
    {
      scenario: `1. durable ingest, NDJSON ${ingestBatch}/batch, ${ingestClients} clients (${rounds}×${(perRound * ingestBatch).toLocaleString('en-US')})`,
      livelog: perSecond(liveRate, 1),
      ceiling: perSecond(rawRate, 1),
      ratio: percent(liveRate / rawRate),
      cpuRatio: cpuRatio(liveCpu, rawCpu),
      target: `≥ ${TARGET.toLocaleString('en-US')}/s`,
      result: liveRate >= TARGET ? 'PASS' : 'MISS',
      cpu: cpuOf(liveCpu),
      ceilingCpu: cpuOf(rawCpu),
      background: background(liveCpu.background, rawCpu.background),
      check: lastSeq === posted ? `seq 1..${posted.toLocaleString('en-US')} acked` : `FAIL last seq ${lastSeq} ≠ ${posted} posted`,
    },
  ];
}
