import { levelNumber, matchEntry } from '@livelog/protocol';
import type { EntryFilter } from '../entry/entry-filter.js';
import type { NewEntry } from '../entry/new-entry.js';
import type { HistogramCounts } from './time-navigation.js';

/** Per-bucket counts by level number, `{bucket: {level: n}}`: the shape both sides are compared in. */
export type PlainHistogram = Record<number, Record<number, number>>;

/** A store's histogram as a PlainHistogram; `dropZeros` for stores whose summaries keep emptied counts. */
export function plainHistogram(result: HistogramCounts, dropZeros = false): PlainHistogram {
  return Object.fromEntries(
    [...result.counts].map(([bucket, levels]) => [bucket, Object.fromEntries([...levels].filter(([, n]) => !dropZeros || n > 0))]),
  );
}

/**
 * The histogram the stores must give, counted by brute force over the entries written (time, level,
 * sources, and `query` by `matchEntry`): the oracle of the stores' histogram tests.
 */
export function bruteHistogram(
  entries: readonly NewEntry[],
  since: number,
  until: number,
  bucketMs: number,
  filter: EntryFilter,
): PlainHistogram {
  const out: PlainHistogram = {};
  for (const e of entries) {
    if (e.time < since || e.time >= until) continue;
    if (filter.level !== undefined && levelNumber(e.level) < levelNumber(filter.level)) continue;
    if (filter.sources !== undefined && !filter.sources.includes(e.source)) continue;
    if (filter.query !== undefined && !matchEntry(filter.query, e)) continue;
    const bucket = Math.floor((e.time - since) / bucketMs);
    out[bucket] ??= {};
    const levels = out[bucket] as Record<number, number>;
    levels[levelNumber(e.level)] = (levels[levelNumber(e.level)] ?? 0) + 1;
  }
  return out;
}
