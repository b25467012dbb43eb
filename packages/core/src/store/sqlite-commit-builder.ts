import { type EndInfo, levelNumber } from '@livelog/protocol';
import { encodeEntryBody, encodeEntryHead } from '../entry/encode-entry.js';
import type { NewEntry } from '../entry/new-entry.js';
import type { StoredEntry } from './log-store.js';
import { SLICE_WIDTHS } from './sqlite-schema.js';
import type { CommitRequest, DuePolicy } from './sqlite-writer.js';

/** What the builder needs of a stream: its key and identity, and its committed seq and max time. */
export interface CommitStream {
  readonly key: number;
  readonly identity: string;
  readonly lastSeq: number;
  readonly maxTime: number;
}

/** One stream's part of a group. */
export interface StreamSection {
  lastSeq: number;
  maxTime: number;
  entries: number;
  bytes: number;
  keys: number;
  end: EndInfo | undefined;
  stored: StoredEntry[];
  /** Per source: name, entries added, last seq, last time. */
  sourceStats: Map<string, [string, number, number, number]>;
  /** The section's entries, column by column, in seq order. */
  times: number[];
  levels: number[];
  sources: string[];
  /** Histogram summary increments, by width, slice and level (sliceKey). */
  slices: Map<number, CommitRequest['slices'][number]>;
  /** The row each width counted last: consecutive entries mostly share their slices and level. */
  lastSlices: (CommitRequest['slices'][number] | undefined)[];
}

/**
 * Builds the one transaction of a group commit across streams: assigns seqs to the batches of each
 * stream in order, encodes their entries, and gathers the columns, source statistics, time marks and
 * stream counters the writer thread needs. Seqs are taken only by batches added, so a batch that
 * cannot be encoded consumes none. The request lists streams by ascending key, so that the group's
 * rowids ((key << 43) | seq) only grow: an entry's page follows the previous one's, and FTS5, which
 * flushes its pending terms to a new segment whenever a rowid is lower than the previous one of the
 * transaction, keeps one segment per group instead of one per descent.
 */
export class CommitBuilder<S extends CommitStream = CommitStream> {
  readonly sections = new Map<S, StreamSection>();
  readonly #creates: CommitRequest['creates'] = [];
  readonly #keys: CommitRequest['keys'] = [];

  /** True while nothing will be written. */
  get empty(): boolean {
    return this.sections.size === 0 && this.#creates.length === 0;
  }

  /** The stream's section, as of this group so far. */
  section(stream: S): StreamSection {
    let section = this.sections.get(stream);
    if (section === undefined) {
      section = {
        lastSeq: stream.lastSeq,
        maxTime: stream.maxTime,
        entries: 0,
        bytes: 0,
        keys: 0,
        end: undefined,
        stored: [],
        sourceStats: new Map(),
        times: [],
        levels: [],
        sources: [],
        slices: new Map(),
        lastSlices: [],
      };
      this.sections.set(stream, section);
    }
    return section;
  }

  /**
   * Adds one batch of `stream` after its previous ones; resolves its seqs. Throws, taking nothing,
   * when an entry cannot be encoded (fields JSON cannot carry). `bodies`: the entries' JSON after
   * their seq (encodeEntryBody), when encoded beforehand, off the group commit's critical path.
   */
  add(stream: S, entries: readonly NewEntry[], bodies?: readonly string[]): { firstSeq: number; lastSeq: number } {
    const before = this.sections.get(stream)?.lastSeq ?? stream.lastSeq;
    const first = before + 1;
    // Encode the whole batch before taking its seqs: a record JSON cannot carry consumes none.
    const tails = bodies ?? entries.map(encodeEntryBody);
    const section = this.section(stream);
    const { identity, key } = stream;
    let { maxTime, bytes } = section;
    let stats: [string, number, number, number] | undefined;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as NewEntry;
      const seq = first + i;
      const json = encodeEntryHead(identity, seq) + (tails[i] as string);
      const level = levelNumber(entry.level);
      section.times.push(entry.time);
      section.levels.push(level);
      section.sources.push(entry.source);
      countSlices(section, key, entry.time, level);
      section.stored.push({ seq, json });
      bytes += json.length;
      if (entry.time > maxTime) maxTime = entry.time;
      // Consecutive entries mostly share a source: look it up only when it changes.
      if (stats === undefined || stats[0] !== entry.source) {
        stats = section.sourceStats.get(entry.source);
        if (stats === undefined) {
          stats = [entry.source, 0, seq, entry.time];
          section.sourceStats.set(entry.source, stats);
        }
      }
      stats[1]++;
      stats[2] = seq;
      stats[3] = entry.time;
    }
    section.maxTime = maxTime;
    section.bytes = bytes;
    section.entries += entries.length;
    section.lastSeq += entries.length;
    return { firstSeq: first, lastSeq: section.lastSeq };
  }

  /** Ends `stream` after its batches so far. */
  end(stream: S, end: EndInfo): void {
    this.section(stream).end = end;
  }

  /** Creates the stream in this same transaction (its first write). */
  create(stream: S, name: string, labels: Record<string, string>, created: number): void {
    this.#creates.push([stream.key, name, stream.identity, JSON.stringify(labels), created]);
  }

  /** Records an idempotency key of `stream`. */
  key(stream: S, record: [string, string | null, number, number, number]): void {
    this.#keys.push([stream.key, ...record]);
    this.section(stream).keys++;
  }

  /** The writer thread's request. */
  request(received: number, nextKey: number, policy: DuePolicy): CommitRequest {
    const streamKeys: number[] = [];
    const seqs: number[] = [];
    const times: number[] = [];
    const levels: number[] = [];
    const sources: string[] = [];
    const jsons: string[] = [];
    const sourceStats: CommitRequest['sourceStats'] = [];
    const marks: CommitRequest['marks'] = [];
    const slices: CommitRequest['slices'] = [];
    const streams: CommitRequest['streams'] = [];
    for (const [stream, section] of [...this.sections].sort((a, b) => a[0].key - b[0].key)) {
      // Loops, not push(...): a batch may hold more entries than a call may take arguments.
      for (let i = 0; i < section.stored.length; i++) {
        const { seq, json } = section.stored[i] as StoredEntry;
        streamKeys.push(stream.key);
        seqs.push(seq);
        jsons.push(json);
        times.push(section.times[i] as number);
        levels.push(section.levels[i] as number);
        sources.push(section.sources[i] as string);
      }
      for (const row of section.slices.values()) slices.push(row);
      for (const [name, count, lastSeq, lastTime] of section.sourceStats.values())
        sourceStats.push([stream.key, name, count, lastSeq, lastTime]);
      if (section.entries > 0) marks.push([stream.key, section.lastSeq, section.maxTime]);
      streams.push([
        stream.key,
        section.lastSeq,
        section.maxTime,
        section.entries,
        section.bytes,
        section.keys,
        section.end === undefined ? null : JSON.stringify(section.end),
      ]);
    }
    return {
      type: 'commit',
      streamKeys,
      seqs,
      times,
      levels,
      sources,
      jsons,
      received,
      sourceStats,
      marks,
      slices,
      keys: this.#keys,
      creates: this.#creates.sort((a, b) => a[0] - b[0]),
      streams,
      nextKey,
      policy,
    };
  }
}

/**
 * Counts an entry into its stream's histogram slices of every width. A number keys each (width,
 * slice, level): building a string key per width and entry cost ~5% of the main thread's ingest.
 */
function countSlices(section: StreamSection, key: number, time: number, level: number): void {
  for (let w = 0; w < SLICE_WIDTHS.length; w++) {
    const width = SLICE_WIDTHS[w] as number;
    const index = Math.floor(time / width);
    const slice = index * width;
    const last = section.lastSlices[w];
    if (last !== undefined && last[2] === slice && last[3] === level) {
      last[4]++;
      continue;
    }
    const id = sliceKey(index, level, w);
    let row = section.slices.get(id);
    if (row === undefined) {
      row = [key, width, slice, level, 0];
      section.slices.set(id, row);
    }
    row[4]++;
    section.lastSlices[w] = row;
  }
}

/** One number per (width, slice, level): levels are pino numbers, below 64. */
function sliceKey(index: number, level: number, width: number): number {
  return (index * 64 + level) * SLICE_WIDTHS.length + width;
}
