import { join } from 'node:path';
import type { BenchContext, Row } from '../context.js';
import { kb, times } from '../format.js';
import { type PerReader, perReader } from '../memory.js';
import { delay } from '../rpc.js';

/** Issue 12 item 7 (was 20 KB). */
const TARGET_BYTES = 12 * 1024;
/** Lets sockets, timers and buffers of freshly opened connections settle before sampling. */
const SETTLE_MS = 1000;

/**
 * Memory per idle reader: the server's RSS and live heap (after full GCs) with N idle SSE readers,
 * minus the same without them, divided by N. The ceiling is the same for bare `node:http` SSE
 * responses (headers and one event written, nothing else held).
 *
 * The RSS row leaves out the growth of V8's young generation (see MemorySample.newSpace): opening N
 * connections grows it to its cap once, up to 32 MiB whatever N is, so at 2,000 readers it alone
 * read as ~8 KB per reader in both livelog and the bare ceiling. The row beside it keeps it in.
 */
export async function memoryScenario(ctx: BenchContext): Promise<Row[]> {
  const readers = ctx.config.memoryReaders;
  const { child, port } = await ctx.startLivelog(join(ctx.scratch, 'memory'), 'memory');
  let live: PerReader;
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
  let raw: PerReader;
  try {
    await ctx.readers.open({ port: (await ctx.ceiling.ready).port, path: '/stream', readers });
    await delay(SETTLE_MS);
    raw = perReader(rawBefore, await ctx.ceiling.call('mem', undefined), readers);
  } finally {
    await ctx.readers.close();
  }

  return [
    {
      scenario: `5. memory per idle reader, RSS without young-gen growth (${readers.toLocaleString('en-US')} readers)`,
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
      scenario: `5. memory per idle reader, RSS all-in (${readers.toLocaleString('en-US')} readers)`,
      livelog: kb(live.rssAll),
      ceiling: kb(raw.rssAll),
      ratio: times(live.rssAll / raw.rssAll),
      cpuRatio: '',
      target: '',
      result: '',
      cpu: '',
      ceilingCpu: '',
      background: '',
      check: 'includes V8 young-gen growth (≤ 32 MiB, once)',
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
