import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type BenchContext, CpuMeter, CpuTally, cpuSeconds, type LivelogChild, type Row } from '../context.js';
import { ndjsonBody, nowUs } from '../entries.js';
import { background, cpuOf, cpuRatio, median, ms, percent, perSecond } from '../format.js';
import { IngestClients } from '../ingest-load.js';
import type { GroupReport, OpenArgs } from '../reader-worker.js';

/** Issue 12 item 4: at 100 and at 1,000 readers (the first round's floor was 50% at 1,000). */
const TARGET_RATIO = 0.8;
const ROUND_TIMEOUT_MS = 120_000;

/**
 * Fan-out: R live readers; E entries arrive and the clock runs until every reader holds all of them.
 * Both sides get the entries the same way: the same NDJSON bodies (batches of 1,000) posted by the
 * same keep-alive clients, the clock starting with the first POST. livelog parses, commits and fans
 * them out from its hot ring; the ceiling reads each body, counts its lines and writes as many
 * pre-encoded frames of the same bytes to every reader (waiting for `drain` like livelog): HTTP in,
 * SSE out, nothing in between, which no server that receives its entries over HTTP can beat.
 *
 * Until 2026-12-07 the ceiling's clock started with the frames already in its memory (no ingest),
 * while livelog's included ingesting them: at 100 readers the row compared livelog's ingest rate
 * with the ceiling's socket writes. That figure stays as a second row (`from memory`). A third row
 * is the floor ingest sets: livelog posting the same bodies with no reader connected, measured in
 * the same rounds. A round cannot end before its last entry is committed, so when that alone takes
 * longer than the ceiling's round ÷ the target, the target is out of reach until ingest is faster.
 *
 * Rounds alternate (livelog, ceiling, ceiling from memory, livelog's ingest alone), so that bursts
 * of load from other processes on the machine hit all alike; the median round of each is reported.
 */
export async function fanoutScenario(ctx: BenchContext): Promise<Row[]> {
  const { fanoutReaders, fanoutEntries, rounds: fanoutRounds, ingestBatch, ingestClients } = ctx.config;
  const rows: Row[] = [];
  const { child, port } = await ctx.startLivelog(join(ctx.scratch, 'fanout'), 'fanout');
  const ceilingPort = (await ctx.ceiling.ready).port;
  const clients = new IngestClients(port, '/api/logs', ingestClients);
  const ceilingClients = new IngestClients(ceilingPort, '/ingest', ingestClients);
  try {
    let head = (await clients.post(ndjsonBody(0, ingestBatch, Date.now()))).lastSeq;
    for (const [k, readers] of fanoutReaders.entries()) {
      const entries = Math.ceil((fanoutEntries[k] as number) / ingestBatch) * ingestBatch;
      await ctx.ceiling.call('prepare', { entries, time: Date.now() });
      const live: number[] = [];
      const raw: number[] = [];
      const memory: number[] = [];
      const ingestAlone: number[] = [];
      /** CPU seconds: livelog's server ingesting alone, and the from-memory ceiling's server and readers. */
      const ingestAloneCpu: number[] = [];
      const memoryRoundCpu: number[] = [];
      const liveCpu = new CpuTally();
      const rawCpu = new CpuTally();
      const memoryCpu = new CpuTally();
      const checks: string[] = [];
      const rawChecks: string[] = [];
      const batches = entries / ingestBatch;
      const bodiesFrom = (first: number): Buffer[] =>
        Array.from({ length: batches }, (_, j) => ndjsonBody(first + j * ingestBatch, ingestBatch, Date.now()));
      for (let round = 0; round < fanoutRounds; round++) {
        const bodies = bodiesFrom(head);
        const liveRound = await measureRound(
          ctx,
          [child.pid],
          { port, path: '/api/stream', readers, expectFirstSeq: head + 1 },
          entries,
          () => clients.postAll(bodies, batches, ingestClients),
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
          async () => {
            await ctx.ceiling.call('relay', { first: 1 });
            const posted = await ceilingClients.postAll(bodies, batches, ingestClients);
            if (posted.entries !== entries) throw new Error(`the ceiling accepted ${posted.entries} of ${entries} entries`);
          },
        );
        raw.push(rawRound.seconds);
        rawCpu.add(rawRound.seconds, rawRound.cpu, rawRound.background, readers * entries);
        rawChecks.push(checkText(rawRound.report, readers, entries));

        const memoryRound = await measureRound(
          ctx,
          [ctx.ceiling.pid],
          { port: ceilingPort, path: '/stream', readers, expectFirstSeq: 1 },
          entries,
          () => ctx.ceiling.call('blast', { first: 1, count: entries }),
        );
        memory.push(memoryRound.seconds);
        memoryRoundCpu.push(memoryRound.cpuSeconds);
        memoryCpu.add(memoryRound.seconds, memoryRound.cpu, memoryRound.background, readers * entries);

        // The same bodies into livelog with no reader: how long its ingest alone holds a round open.
        await readersGone(child);
        const aloneBodies = bodiesFrom(head);
        const cpuBefore = cpuSeconds(child.pid);
        const alone = await clients.postAll(aloneBodies, batches, ingestClients);
        ingestAloneCpu.push(cpuSeconds(child.pid) - cpuBefore);
        if (alone.lastSeq !== head + entries)
          throw new Error(`ingest alone acknowledged up to ${alone.lastSeq}, expected ${head + entries}`);
        head += entries;
        ingestAlone.push(alone.elapsedMs / 1000);
      }
      await ctx.ceiling.call('release', undefined);

      const delivered = readers * entries;
      const ratio = median(raw) / median(live);
      const name = `2. fan-out to ${readers.toLocaleString('en-US')} reader${readers === 1 ? '' : 's'}`;
      const targeted = readers >= 100;
      rows.push({
        scenario: `${name} (${entries.toLocaleString('en-US')} entries posted, ${fanoutRounds} rounds)`,
        livelog: perSecond(delivered, median(live)),
        ceiling: perSecond(delivered, median(raw)),
        ratio: percent(ratio),
        cpuRatio: cpuRatio(liveCpu, rawCpu),
        target: targeted ? `≥ ${percent(TARGET_RATIO)} of ceiling` : '',
        result: targeted ? (ratio >= TARGET_RATIO ? 'PASS' : 'MISS') : '',
        cpu: cpuOf(liveCpu),
        ceilingCpu: cpuOf(rawCpu),
        background: background(liveCpu.background, rawCpu.background),
        check: checks.find((check) => check.startsWith('FAIL')) ?? rawChecks.find((check) => check.startsWith('FAIL')) ?? checks[0] ?? '',
      });
      const memoryRatio = median(memory) / median(live);
      rows.push({
        scenario: `${name}: vs a ceiling writing from memory (no ingest; the row before 2026-12-07)`,
        livelog: perSecond(delivered, median(live)),
        ceiling: perSecond(delivered, median(memory)),
        ratio: percent(memoryRatio),
        cpuRatio: cpuRatio(liveCpu, memoryCpu),
        target: '',
        result: '',
        cpu: cpuOf(liveCpu),
        ceilingCpu: cpuOf(memoryCpu),
        background: background(liveCpu.background, memoryCpu.background),
        check: `ceiling with ingest ÷ from memory: ${percent(median(memory) / median(raw))}`,
      });
      if (targeted) {
        const floor = { seconds: median(ingestAlone), cpuSeconds: median(ingestAloneCpu), fanOutCpuSeconds: median(memoryRoundCpu) };
        rows.push(ingestFloorRow(name, delivered, median(raw), floor, entries));
      }
    }
  } finally {
    // A failed round must not leave the ceiling relaying prepared frames to later scenarios' readers.
    await ctx.ceiling.call('release', undefined).catch(() => undefined);
    clients.close();
    ceilingClients.close();
    await ctx.stopLivelog(child);
  }
  return rows;
}

/** CPU seconds `pids` used so far, together. */
function totalCpuSeconds(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

/** Waits (up to 5 s) until the server has seen every reader of the last round leave. */
async function readersGone(child: LivelogChild): Promise<void> {
  for (let waited = 0; waited < 5000 && (await child.readers()) > 0; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The best ratio livelog could reach in this run with its ingest as it is. A round cannot end before
 * livelog's own ingest of its entries does (measured with no reader), nor before the machine's cores
 * have done that ingest's CPU work plus what writing and reading the frames cost the from-memory
 * ceiling (its server and readers), with perfect overlap and nothing else running.
 */
function ingestFloorRow(
  name: string,
  delivered: number,
  ceilingSeconds: number,
  ingest: { seconds: number; cpuSeconds: number; fanOutCpuSeconds: number },
  entries: number,
): Row {
  const cores = availableParallelism();
  const cpuBound = (ingest.cpuSeconds + ingest.fanOutCpuSeconds) / cores;
  const floorSeconds = Math.max(ceilingSeconds, ingest.seconds, cpuBound);
  const ratio = ceilingSeconds / floorSeconds;
  return {
    scenario: `${name} floor: livelog's ingest alone (no reader) + the ceiling's fan-out`,
    livelog: perSecond(delivered, floorSeconds),
    ceiling: perSecond(delivered, ceilingSeconds),
    ratio: percent(ratio),
    cpuRatio: '',
    target: `≥ ${percent(TARGET_RATIO)} of ceiling`,
    result: ratio < TARGET_RATIO ? 'OUT OF REACH' : 'REACHABLE',
    cpu: '',
    ceilingCpu: '',
    background: '',
    check:
      `ingest alone: ${entries.toLocaleString('en-US')} entries in ${ms(ingest.seconds * 1e6)}, ` +
      `${ms(ingest.cpuSeconds * 1e6)} of server CPU (${((ingest.cpuSeconds / entries) * 1e6).toFixed(1)} µs/entry); ` +
      `fan-out from memory ${ms(ingest.fanOutCpuSeconds * 1e6)} of CPU (server and readers); ` +
      `both on ${cores} cores ≥ ${ms(cpuBound * 1e6)}; the ceiling's round ${ms(ceilingSeconds * 1e6)}`,
  };
}

/** One round: readers connect, `send` starts the entries, the clock stops when every reader has all. */
async function measureRound(
  ctx: BenchContext,
  serverPids: number[],
  open: Omit<OpenArgs, 'verifyEvery'>,
  entries: number,
  send: () => Promise<unknown>,
): Promise<{ seconds: number; cpu: number[]; cpuSeconds: number; background: number; report: GroupReport }> {
  await ctx.readers.open({ ...open, verifyEvery: ctx.config.verifyEvery });
  try {
    await ctx.readers.arm(entries);
    const pids = [...serverPids, ...ctx.readers.pids];
    const meter = new CpuMeter(pids, () => ctx.ownPids()).start();
    const cpuBefore = totalCpuSeconds(pids);
    const started = nowUs();
    await send();
    const done = await ctx.readers.wait(ROUND_TIMEOUT_MS);
    const shares = meter.stop();
    const cpuUsed = totalCpuSeconds(pids) - cpuBefore;
    if (done.doneAtUs === 0) {
      throw new Error(`fan-out to ${open.readers} readers (port ${open.port}) did not complete: ${JSON.stringify(done)}`);
    }
    // A duplicate would arrive right after the last entry; give it a moment to show.
    await new Promise((resolve) => setTimeout(resolve, 100));
    return {
      seconds: (done.doneAtUs - started) / 1e6,
      cpu: shares,
      cpuSeconds: cpuUsed,
      background: meter.background,
      report: await ctx.readers.report(),
    };
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
