import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ChaosProxy } from '@livelog/test-utils';
import type { BenchContext, Row } from '../context.js';
import { ndjsonBody } from '../entries.js';
import { delay } from '../rpc.js';
import { SoakReader } from '../soak-reader.js';

/** One sample of the server while the soak runs. */
interface SoakSample {
  atSec: number;
  rssMb: number;
  /** Event-loop delay of the server since the previous sample (prom-client resets it per scrape). */
  lagP99Ms: number;
  lagMaxMs: number;
}

export interface SoakResult {
  rows: Row[];
  notes: string[];
}

/**
 * The soak run of issue 11 (not in the default suite: `LIVELOG_BENCH_ONLY=soak`): `soakReaders`
 * readers (default 2,000) stream through the fault proxy while `soakRate` entries/s (default 1,000)
 * arrive for `soakSeconds` (default 30 min, `LIVELOG_SOAK_SECONDS`); random readers are cut at random
 * points, mostly mid-event, and resume by cursor. The server's RSS and event-loop delay are sampled;
 * the result is the growth trend (least-squares slope after the first quarter) and, per reader, every
 * seq checked: losses, repeats and reorders must be zero.
 */
export async function soakScenario(ctx: BenchContext): Promise<SoakResult> {
  const { soakReaders: readerCount, soakRate: rate, soakSeconds: seconds } = ctx.config;
  const { child, port } = await ctx.startLivelog(join(ctx.scratch, 'soak'), 'soak');
  const proxy = await ChaosProxy.start({ port });
  const readers: SoakReader[] = [];
  const samples: SoakSample[] = [];
  const ownLag = monitorEventLoopDelay({ resolution: 10 });
  let sent = 0;
  let cutsPlanned = 0;
  try {
    // The first batch names the stream, which every reader needs for its Last-Event-ID.
    const first = await post(child.url, 0, Math.max(1, Math.round(rate / 10)));
    sent = first.count;
    for (let i = 0; i < readerCount; i++) {
      readers.push(new SoakReader(proxy.port, first.stream).start());
      // Open in waves, so the start is not itself a reconnect storm.
      if (i % 200 === 199) await delay(100);
    }
    ownLag.enable();
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    let running = true;
    const writer = (async () => {
      // Paced to `rate`: a batch every 100 ms, sized from the time actually passed.
      while (running) {
        const due = Math.floor(elapsed() * rate) + first.count;
        if (due > sent) {
          const reply = await post(child.url, sent, due - sent);
          sent += reply.count;
        }
        await delay(100);
      }
    })();
    const cutter = (async () => {
      while (running) {
        await delay(200 + Math.random() * 800);
        // About one reader in 50 per cut, after a random 0..4 KB: most land inside an event.
        cutsPlanned += proxy.cutRandom(0.02, 4096);
      }
    })();
    const sampleEveryMs = Math.max(1000, Math.min(30_000, (seconds * 1000) / 60));
    await lagSample(child.url); // resets the server's histogram
    while (elapsed() < seconds) {
      await delay(Math.min(sampleEveryMs, Math.max(0, seconds - elapsed()) * 1000));
      const lag = await lagSample(child.url);
      samples.push({ atSec: elapsed(), rssMb: rssMb(child.pid), ...lag });
      process.stderr.write('.');
    }
    running = false;
    await writer;
    await cutter;
    const total = sent;
    // Readers behind (a machine too small for the load) get time to catch up while they progress;
    // those still short when progress stops are reported apart from seq errors (loss, repeat, reorder).
    const catchUpStarted = performance.now();
    let progress = -1;
    let progressAt = performance.now();
    for (;;) {
      const delivered = readers.reduce((sum, reader) => sum + reader.entries, 0);
      if (delivered !== progress) {
        progress = delivered;
        progressAt = performance.now();
      }
      const stalled = performance.now() - progressAt > 15_000;
      const tooLong = performance.now() - catchUpStarted > Math.max(120_000, seconds * 1000);
      if (readers.every((reader) => reader.lastSeq >= total) || stalled || tooLong) break;
      await delay(500);
    }
    const catchUpSec = (performance.now() - catchUpStarted) / 1000;
    ownLag.disable();
    const behind = readers.filter((reader) => reader.lastSeq < total);
    const errors = readers.reduce((sum, reader) => sum + reader.errors, 0);
    const firstError = readers.find((reader) => reader.firstError !== '')?.firstError ?? '';
    const delivered = readers.reduce((sum, reader) => sum + reader.entries, 0);
    const connections = readers.reduce((sum, reader) => sum + reader.connections, 0);
    const cuts = proxy.cutStats();
    const steady = samples.slice(Math.floor(samples.length / 4));
    const rssSlope = slopePerMinute(steady.map((sample) => [sample.atSec, sample.rssMb]));
    const lagP99 = Math.max(0, ...samples.map((sample) => sample.lagP99Ms));
    const lagMax = Math.max(0, ...samples.map((sample) => sample.lagMaxMs));
    const rssFirst = steady[0]?.rssMb ?? Number.NaN;
    const rssLast = steady.at(-1)?.rssMb ?? Number.NaN;
    const ok = behind.length === 0 && errors === 0;
    const check = ok
      ? `${readerCount.toLocaleString('en-US')} readers, every seq once, in order`
      : `FAIL: ${errors} seq errors${firstError ? ` (${firstError})` : ''}, ${behind.length} readers not caught up`;
    return {
      rows: [
        {
          scenario: `7. soak (${readerCount.toLocaleString('en-US')} readers, ${rate}/s, ${Math.round(seconds)} s, ${cuts.total} cuts)`,
          livelog: `RSS ${rssSlope >= 0 ? '+' : ''}${rssSlope.toFixed(2)} MB/min`,
          ceiling: '',
          ratio: '',
          target: 'no growth, 0 lost',
          result: ok && rssSlope < 1 ? 'PASS' : 'MISS',
          cpu: '',
          ceilingCpu: '',
          cpuRatio: '',
          background: '',
          check,
        },
      ],
      notes: [
        `soak: ${total.toLocaleString('en-US')} entries over ${Math.round(seconds)} s to ${readerCount} readers; ` +
          `${delivered.toLocaleString('en-US')} deliveries, ${connections.toLocaleString('en-US')} connections, ` +
          `${cuts.total} cuts (${cuts.midEvent} mid-event, ${cuts.inFlight} with bytes in flight; ${cutsPlanned} planned)`,
        `soak: server RSS ${rssFirst.toFixed(0)} → ${rssLast.toFixed(0)} MB after warm-up (slope ${rssSlope.toFixed(2)} MB/min over ${steady.length} samples); ` +
          `event-loop delay p99 ≤ ${lagP99.toFixed(0)} ms, max ${lagMax.toFixed(0)} ms; bench process delay max ${(ownLag.max / 1e6).toFixed(0)} ms`,
        `soak: RSS samples (s:MB) ${samples.map((sample) => `${sample.atSec.toFixed(0)}:${sample.rssMb.toFixed(0)}`).join(' ')}`,
        `soak: ${errors} seq errors (loss, repeat or reorder)${firstError ? `, first: ${firstError}` : ''}; ` +
          `${behind.length} readers not at the last seq ${catchUpSec.toFixed(0)} s after the writer stopped` +
          (behind.length > 0
            ? ` (${(readers.length * total - delivered).toLocaleString('en-US')} deliveries short: the machine did not keep up)`
            : ''),
      ],
    };
  } finally {
    for (const reader of readers) reader.stop();
    await proxy.close();
    await ctx.stopLivelog(child);
  }
}

async function post(url: string, first: number, count: number): Promise<{ count: number; stream: string }> {
  const response = await fetch(`${url}/api/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: ndjsonBody(first, count, Date.now()),
  });
  const reply = (await response.json()) as { accepted?: number; firstId?: string };
  if (response.status !== 200 || reply.accepted !== count) throw new Error(`soak: ingest answered ${response.status}`);
  return { count, stream: (reply.firstId ?? '').split(':')[0] ?? '' };
}

/** The server's event-loop delay since the last scrape (prom-client resets its histogram then). */
async function lagSample(url: string): Promise<{ lagP99Ms: number; lagMaxMs: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) =>
    Number(new RegExp(`^livelog_nodejs_eventloop_lag_${name}_seconds ([\\d.e+-]+)$`, 'm').exec(text)?.[1]) * 1000;
  return { lagP99Ms: read('p99'), lagMaxMs: read('max') };
}

function rssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? Number.NaN) / 1024;
}

/** Least-squares slope of [seconds, MB] points, in MB per minute. */
function slopePerMinute(points: [number, number][]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
}
