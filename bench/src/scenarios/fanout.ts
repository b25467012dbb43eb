import { join } from 'node:path';
import { type BenchContext, CpuMeter, CpuTally, type Row } from '../context.js';
import { ndjsonBody, nowUs } from '../entries.js';
import { background, cpuOf, cpuRatio, median, percent, perSecond } from '../format.js';
import { IngestClients } from '../ingest-load.js';
import type { GroupReport, OpenArgs } from '../reader-worker.js';

/** Issue 12 item 4: at 100 and at 1,000 readers (the first round's floor was 50% at 1,000). */
const TARGET_RATIO = 0.8;
const ROUND_TIMEOUT_MS = 120_000;

/**
 * Fan-out: R live readers; E entries arrive and the clock runs until every reader holds all of them.
 * livelog's rounds start with the ingest POSTs (batches of 1,000, so the entries go through SQLite
 * and the hot ring); the ceiling's rounds start when it begins writing pre-encoded frames of the same
 * bytes. livelog and ceiling rounds alternate, so that bursts of load from other processes on the
 * machine hit both alike; the median round of each is reported.
 */
export async function fanoutScenario(ctx: BenchContext): Promise<Row[]> {
  const { fanoutReaders, fanoutEntries, rounds: fanoutRounds, ingestBatch, ingestClients } = ctx.config;
  const rows: Row[] = [];
  const { child, port } = await ctx.startLivelog(join(ctx.scratch, 'fanout'), 'fanout');
  const ceilingPort = (await ctx.ceiling.ready).port;
  const clients = new IngestClients(port, '/api/logs', ingestClients);
  try {
    let head = (await clients.post(ndjsonBody(0, ingestBatch, Date.now()))).lastSeq;
    for (const [k, readers] of fanoutReaders.entries()) {
      const entries = Math.ceil((fanoutEntries[k] as number) / ingestBatch) * ingestBatch;
      await ctx.ceiling.call('prepare', { entries, time: Date.now() });
      const live: number[] = [];
      const raw: number[] = [];
      const liveCpu = new CpuTally();
      const rawCpu = new CpuTally();
      const checks: string[] = [];
      for (let round = 0; round < fanoutRounds; round++) {
        const bodies = Array.from({ length: entries / ingestBatch }, (_, j) => ndjsonBody(head + j * ingestBatch, ingestBatch, Date.now()));
        const liveRound = await measureRound(
          ctx,
          [child.pid],
          { port, path: '/api/stream', readers, expectFirstSeq: head + 1 },
          entries,
          () => clients.postAll(bodies, bodies.length, ingestClients),
        );
        head += entries;
        live.push(liveRound.seconds);
        liveCpu.add(liveRound.seconds, liveRound.cpu, liveRound.background, readers * entries);
        checks.push(checkText(liveRound.report, readers, entries));
        const rawRound = await measureRound(
          ctx,
          [ctx.ceiling.pid],
          { port: ceilingPort, path: '/stream', readers, expectFirstSeq: 1 },
          entries,
          () => ctx.ceiling.call('blast', { first: 1, count: entries }),
        );
        raw.push(rawRound.seconds);
        rawCpu.add(rawRound.seconds, rawRound.cpu, rawRound.background, readers * entries);
      }
      await ctx.ceiling.call('release', undefined);

      const delivered = readers * entries;
      const ratio = median(raw) / median(live);
      rows.push({
        scenario: `2. fan-out to ${readers.toLocaleString('en-US')} reader${readers === 1 ? '' : 's'} (${entries.toLocaleString('en-US')} entries, ${fanoutRounds} rounds)`,
        livelog: perSecond(delivered, median(live)),
        ceiling: perSecond(delivered, median(raw)),
        ratio: percent(ratio),
        cpuRatio: cpuRatio(liveCpu, rawCpu),
        target: readers >= 100 ? `≥ ${percent(TARGET_RATIO)} of ceiling` : '',
        result: readers >= 100 ? (ratio >= TARGET_RATIO ? 'PASS' : 'MISS') : '',
        cpu: cpuOf(liveCpu),
        ceilingCpu: cpuOf(rawCpu),
        background: background(liveCpu.background, rawCpu.background),
        check: checks.find((check) => check.startsWith('FAIL')) ?? checks[0] ?? '',
      });
    }
  } finally {
    clients.close();
    await ctx.stopLivelog(child);
  }
  return rows;
}

/** One round: readers connect, `send` starts the entries, the clock stops when every reader has all. */
async function measureRound(
  ctx: BenchContext,
  serverPids: number[],
  open: Omit<OpenArgs, 'verifyEvery'>,
  entries: number,
  send: () => Promise<unknown>,
): Promise<{ seconds: number; cpu: number[]; background: number; report: GroupReport }> {
  await ctx.readers.open({ ...open, verifyEvery: ctx.config.verifyEvery });
  try {
    await ctx.readers.arm(entries);
    const meter = new CpuMeter([...serverPids, ...ctx.readers.pids], () => ctx.ownPids()).start();
    const started = nowUs();
    await send();
    const done = await ctx.readers.wait(ROUND_TIMEOUT_MS);
    const shares = meter.stop();
    if (done.doneAtUs === 0) {
      throw new Error(`fan-out to ${open.readers} readers (port ${open.port}) did not complete: ${JSON.stringify(done)}`);
    }
    // A duplicate would arrive right after the last entry; give it a moment to show.
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { seconds: (done.doneAtUs - started) / 1e6, cpu: shares, background: meter.background, report: await ctx.readers.report() };
  } finally {
    await ctx.readers.close();
  }
}

/** The delivery check of a reader group that should hold `expected` entries each. */
export function checkText(report: GroupReport, readers: number, expected: number): string {
  if (report.errors > 0) return `FAIL ${report.errors} errors: ${report.firstError}`;
  if (report.readers !== readers) return `FAIL ${report.readers}/${readers} readers`;
  if (report.minEntries !== expected || report.maxEntries !== expected) {
    return `FAIL entries per reader ${report.minEntries}..${report.maxEntries}, expected ${expected}`;
  }
  const verified = report.verified === readers ? '' : ` (${report.verified} checked per frame)`;
  return `${readers}×${expected.toLocaleString('en-US')} in order, once${verified}`;
}
