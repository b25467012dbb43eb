import { getHeapSpaceStatistics } from 'node:v8';

/** What a server process reports of its memory, after full GCs. */
export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /**
   * Bytes V8 reserves for its young generation (semi-spaces). It grows under allocation churn, up to
   * a fixed cap (32 MiB on 64-bit Node 20), and full GCs do not shrink it: a one-off cost of a busy
   * process, not of any reader, which at 2,000 readers alone is ~8 KB "per reader".
   */
  newSpace: number;
}

/** Full GCs (needs --expose-gc), then the process's memory: heap figures count live objects only. */
export function sampleMemory(): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  gc();
  gc();
  const usage = process.memoryUsage();
  const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
  return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external, arrayBuffers: usage.arrayBuffers, newSpace };
}

/** Memory added per reader between two samples. */
export interface PerReader {
  /** RSS without the young generation's one-off growth (see MemorySample.newSpace). */
  rss: number;
  /** RSS as the OS counts it. */
  rssAll: number;
  heap: number;
}

/** What `readers` readers opened between `before` and `after` cost each. */
export function perReader(before: MemorySample, after: MemorySample, readers: number): PerReader {
  const rssAll = after.rss - before.rss;
  return {
    rss: (rssAll - (after.newSpace - before.newSpace)) / readers,
    rssAll: rssAll / readers,
    heap: (after.heapUsed - before.heapUsed) / readers,
  };
}
