import { join } from 'node:path';
import type { BenchContext, Row } from '../context.js';
import { kb, times } from '../format.js';
import type { MemorySample } from '../memory.js';
import { delay } from '../rpc.js';

const TARGET_BYTES = 20 * 1024;
/** Lets sockets, timers and buffers of freshly opened connections settle before sampling. */
const SETTLE_MS = 1000;

/**
 * Memory per idle reader: the server's RSS and live heap (after full GCs) with N idle SSE readers,
 * minus the same without them, divided by N. The ceiling is the same for bare `node:http` SSE
 * responses (headers and one event written, nothing else held).
 */
export async function memoryScenario(ctx: BenchContext): Promise<Row[]> {
  const readers = ctx.config.memoryReaders;
  const { child, port } = await ctx.startLivelog(join(ctx.scratch, 'memory'), 'memory');
  let live: { rss: number; heap: number };
  let connected: number;
  try {
    await delay(SETTLE_MS);
    const before = await child.memory();
    const report = await ctx.readers.open({ port, path: '/api/stream', readers });
    await delay(SETTLE_MS);
    const after = await child.memory();
    connected = await child.readers();
    if (report.readers !== readers || connected !== readers) throw new Error(`memory: ${connected} of ${readers} readers connected`);
    live = perReader(before, after, readers);
  } finally {
    await ctx.readers.close();
    await ctx.stopLivelog(child);
  }

  const rawBefore = await ctx.ceiling.call('mem', undefined);
  let raw: { rss: number; heap: number };
  try {
    await ctx.readers.open({ port: (await ctx.ceiling.ready).port, path: '/stream', readers });
    await delay(SETTLE_MS);
    raw = perReader(rawBefore, await ctx.ceiling.call('mem', undefined), readers);
  } finally {
    await ctx.readers.close();
  }

  return [
    {
      scenario: `5. memory per idle reader, RSS (${readers.toLocaleString('en-US')} readers)`,
      livelog: kb(live.rss),
      ceiling: kb(raw.rss),
      ratio: times(live.rss / raw.rss),
      cpuRatio: '',
      target: `≤ ${kb(TARGET_BYTES)}`,
      result: live.rss <= TARGET_BYTES ? 'PASS' : 'MISS',
      cpu: '',
      ceilingCpu: '',
      background: '',
      check: `${connected.toLocaleString('en-US')} readers held`,
    },
    {
      scenario: `5. memory per idle reader, JS heap (${readers.toLocaleString('en-US')} readers)`,
      livelog: kb(live.heap),
      ceiling: kb(raw.heap),
      ratio: times(live.heap / raw.heap),
      cpuRatio: '',
      target: '',
      result: '',
      cpu: '',
      ceilingCpu: '',
      background: '',
      check: '',
    },
  ];
}

function perReader(before: MemorySample, after: MemorySample, readers: number): { rss: number; heap: number } {
  return { rss: (after.rss - before.rss) / readers, heap: (after.heapUsed - before.heapUsed) / readers };
}
