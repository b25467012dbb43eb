import type { EndInfo, StreamRetention } from '@livelog/protocol';
import type Database from 'better-sqlite3';
import { type EntryFilter, isEmptyFilter } from '../entry/entry-filter.js';
import type { NewEntry } from '../entry/new-entry.js';
import { AppendListeners } from './append-listeners.js';
import { DEFAULT_SCAN_BUDGET, type ScanBudget, type SeqWindow, scanPage, unitsOf } from './chunked-scan.js';
import type {
  AppendListener,
  AppendOptions,
  AppendResult,
  EndListener,
  EndRequest,
  FramePage,
  HealthCheckedStore,
  LogStore,
  ReadPage,
  ReadQuery,
  RetentionPolicy,
  SourceInfo,
  SourcesQuery,
  StoreBounds,
  StoredEntry,
  StoredStreamInfo,
} from './log-store.js';
import { indexRowsInRange, preferScan, scanPart } from './sparse-window.js';
import { filterConditions, type SqlConditions } from './sqlite-filter.js';
import { countHistogram } from './sqlite-histogram.js';
import { readRange, rest, type Want } from './sqlite-range.js';
import { SEQ_BITS, SEQ_MASK } from './sqlite-schema.js';
import { candidatePiecesSql, candidateRanges, INDEXED_UP_TO, planSearch, SEARCH_BLOCK, type SearchPlan } from './sqlite-search.js';
import type { HistogramCounts, HistogramQuery, HistogramStore } from './time-navigation.js';

/** `seq` of stream `?` (first parameter: key) within its rowid range. */
const IN_STREAM = `seq > (? << ${SEQ_BITS}) AND seq <= ((? << ${SEQ_BITS}) | ${SEQ_MASK})`;
/**
 * The seq of a rowid. Never alias it `AS seq`: an ORDER BY names a result column before a table
 * column, so `ORDER BY seq` would sort by this expression, which no index has, and every such query
 * would read and sort the stream's whole range (45 ms a call at 300k entries) instead of one row.
 */
const SEQ = `seq & ${SEQ_MASK}`;

/** A row of the `streams` table. */
export interface StreamRow {
  key: number;
  name: string;
  identity: string;
  labels: string;
  retention: string | null;
  created: number;
  end_info: string | null;
  last_seq: number;
  max_time: number;
  entries: number;
  bytes: number;
  first_received: number | null;
  last_received: number | null;
  last_activity: number;
}

/** What a stream asks of its database: the write queue and the reading connection. */
export interface SqliteStreamHost {
  enqueue(stream: SqliteStream, work: { entries: readonly NewEntry[]; options: AppendOptions } | { end: EndRequest }): Promise<unknown>;
  /** A page of frames, read on the reader thread (see SqliteReader). */
  readFrames(stream: SqliteStream, afterSeq: number, limit: number, idPrefix: string): Promise<FramePage | undefined>;
  /** A cached statement on the reading connection; throws when the database is closed. */
  statement(sql: string): Database.Statement;
  /** Throws when the database is closed or the stream deleted. */
  check(stream: SqliteStream): void;
  prunePolicy(stream: SqliteStream, policy: RetentionPolicy, batchSize: number): Promise<number>;
  isReady(): Promise<boolean>;
  /** How much work one history read may do per event-loop turn and in all. */
  readonly scanBudget: ScanBudget;
  /** True when the database holds the search index. */
  readonly searchIndexed: boolean;
  /** Counted here: search windows read by scanning because the index range was sparse. */
  readonly stats: { sparseScans: number };
}

/**
 * How many times more seqs a window may span when the search index drives it: the work of such a
 * window is its candidates, not its seqs, and the window still shrinks when a step runs long.
 */
const INDEXED_WINDOW_FACTOR = 64;
/** Candidate pieces an indexed window reads first (a page of 200 common lines spans ~80), then 4× more each time, up to MAX_PIECES. */
const FIRST_PIECES = 64;
const MAX_PIECES = 4096;

/** StoredStreamInfo of a `streams` row; `first` follows from the count, as retention removes a prefix only. */
export function infoOfRow(row: StreamRow): StoredStreamInfo {
  const info: StoredStreamInfo = {
    name: row.name,
    identity: row.identity,
    labels: JSON.parse(row.labels) as Record<string, string>,
    state: row.end_info === null ? 'open' : 'ended',
    first: row.last_seq - row.entries + 1,
    last: row.last_seq,
    entries: row.entries,
    bytes: row.bytes,
    created: row.created,
  };
  if (row.first_received !== null) info.firstTime = row.first_received;
  if (row.last_received !== null) info.lastTime = row.last_received;
  if (row.end_info !== null) info.end = JSON.parse(row.end_info) as EndInfo;
  if (row.retention !== null) info.retention = JSON.parse(row.retention) as StreamRetention;
  return info;
}

/**
 * One stream of a SqliteDatabase: its committed position and end, cached here (the group committer is
 * the only one to change them), and reads over its rowid range. Writes go through the database's
 * group commit, shared by every stream.
 */
export class SqliteStream implements LogStore, HealthCheckedStore, HistogramStore {
  readonly kind = 'sqlite';
  readonly name: string;
  readonly key: number;
  readonly identity: string;
  readonly #host: SqliteStreamHost;
  lastSeq: number;
  maxTime: number;
  endInfo: EndInfo | undefined;
  labels: Record<string, string>;
  created: number;
  /** False until the first write (or `setStream`) commits the stream's row. */
  exists: boolean;
  deleted = false;
  readonly #listeners = new AppendListeners();
  #endListeners: Set<EndListener> | undefined;

  constructor(
    host: SqliteStreamHost,
    row: Omit<StreamRow, 'entries' | 'bytes' | 'first_received' | 'last_received' | 'last_activity' | 'retention'>,
    exists: boolean,
  ) {
    this.#host = host;
    this.name = row.name;
    this.key = row.key;
    this.identity = row.identity;
    this.lastSeq = row.last_seq;
    this.maxTime = row.max_time;
    this.endInfo = row.end_info === null ? undefined : (JSON.parse(row.end_info) as EndInfo);
    this.labels = JSON.parse(row.labels) as Record<string, string>;
    this.created = row.created;
    this.exists = exists;
  }

  get streamId(): string {
    return this.identity;
  }

  async open(): Promise<void> {}

  /** Closing is the database's; a stream handle has nothing of its own to close. */
  async close(): Promise<void> {}

  append(entries: readonly NewEntry[], options: AppendOptions = {}): Promise<AppendResult> {
    return this.#host.enqueue(this, { entries, options }) as Promise<AppendResult>;
  }

  end(request: EndRequest = {}): Promise<EndInfo> {
    return this.#host.enqueue(this, { end: request }) as Promise<EndInfo>;
  }

  ended(): EndInfo | undefined {
    return this.endInfo;
  }

  onEnd(listener: EndListener): () => void {
    this.#endListeners ??= new Set();
    const listeners = this.#endListeners;
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  onAppend(listener: AppendListener): () => void {
    return this.#listeners.add(listener);
  }

  /** Called by the database once a group committed: entries first, then the end (the broker's order). */
  announce(stored: readonly StoredEntry[], end: EndInfo | undefined): void {
    this.#listeners.emit(stored);
    if (end === undefined) return;
    this.endInfo = end;
    for (const listener of [...(this.#endListeners ?? [])]) listener(end);
  }

  async info(): Promise<StoredStreamInfo> {
    this.#host.check(this);
    const row = this.#host.statement('SELECT * FROM streams WHERE key = ?').get(this.key) as StreamRow | undefined;
    if (row !== undefined) return infoOfRow(row);
    // Not yet written: what the first write will create.
    return {
      name: this.name,
      identity: this.identity,
      labels: { ...this.labels },
      state: 'open',
      first: 1,
      last: 0,
      entries: 0,
      bytes: 0,
      created: this.created,
    };
  }

  async readAfter(afterSeq: number, limit: number): Promise<StoredEntry[]> {
    this.#host.check(this);
    const rows = this.#host
      .statement(
        `SELECT ${SEQ}, json FROM entries WHERE seq > ((? << ${SEQ_BITS}) | ?) AND seq <= ((? << ${SEQ_BITS}) | ${SEQ_MASK}) ORDER BY seq LIMIT ?`,
      )
      .raw(true)
      .all(this.key, afterSeq, this.key, limit) as [number, string][];
    return rows.map(([seq, json]) => ({ seq, json }));
  }

  async readFrames(afterSeq: number, limit: number, idPrefix: string): Promise<FramePage | undefined> {
    this.#host.check(this);
    return this.#host.readFrames(this, afterSeq, limit, idPrefix);
  }

  async read(query: ReadQuery): Promise<ReadPage> {
    this.#host.check(this);
    // Scanned window by window with yields, so a filter matching little cannot freeze the loop.
    const filter = query.filter !== undefined && !isEmptyFilter(query.filter) ? query.filter : undefined;
    const search =
      filter?.query !== undefined && filter.query.type !== 'all' ? planSearch(filter.query, this.#host.searchIndexed) : undefined;
    const budget = this.#host.scanBudget;
    const windows =
      search?.match === undefined
        ? budget
        : { ...budget, chunkRows: (budget.chunkRows ?? DEFAULT_SCAN_BUDGET.chunkRows) * INDEXED_WINDOW_FACTOR };
    return scanPage(query, await this.bounds(), (window) => this.#readWindow(window, filter, search), windows);
  }

  /**
   * The matching entries of one seq window (see scanPage): the only SQL of a history read. A search
   * the index can narrow reads its candidate pieces (#readIndexed); every candidate is confirmed by
   * `matchEntry` through `livelog_query`.
   */
  #readWindow(window: SeqWindow, filter: EntryFilter | undefined, search: SearchPlan | undefined): StoredEntry[] {
    this.#host.check(this);
    const conditions = filterConditions(filter, search);
    const low = window.low;
    const high = Math.min(window.high, SEQ_MASK);
    if (search?.match === undefined) return this.#readRange(low, high, window, conditions, window);
    // The newest entries may have no index rows yet (they follow their commit; see DeferredIndex):
    // the index is read up to the stream's last indexed seq and the entries after it are scanned.
    const indexed = this.#indexedUpTo();
    if (high <= indexed) return this.#readIndexed([low, high], window, conditions, search.match, window);
    const from = Math.max(low, indexed + 1);
    if (window.direction === 'backward') {
      const out = this.#readRange(from, high, window, conditions, window);
      if (out.length < window.limit && from > low)
        out.push(...this.#readIndexed([low, from - 1], window, conditions, search.match, rest(window, out)));
      return out;
    }
    const out = from > low ? this.#readIndexed([low, from - 1], window, conditions, search.match, window) : [];
    if (out.length < window.limit) out.push(...this.#readRange(from, high, window, conditions, rest(window, out)));
    return out;
  }

  /** The stream's last seq with index rows (0 when none): entries after it are not indexed yet. */
  #indexedUpTo(): number {
    return (this.#host.statement(INDEXED_UP_TO).pluck(true).get(this.key, this.key) as number | null) ?? 0;
  }

  /**
   * The matching entries of `seqs` (low, high), all indexed, at most `limit`: the index
   * gives the candidate pieces in the window's order, a few at a time, and only their seq ranges are
   * read, stopping at the limit (a common term reads a page's worth of pieces, not the window's).
   */
  #readIndexed(seqs: [number, number], window: SeqWindow, conditions: SqlConditions, match: string, want: Want): StoredEntry[] {
    let [low, high] = seqs;
    const { limit, units } = want;
    const backward = window.direction === 'backward';
    const pieces = this.#host.statement(candidatePiecesSql(backward)).pluck(true);
    // A piece keyed up to SEARCH_BLOCK - 1 seqs past the window may cover entries in it.
    let keyLow = low;
    let keyHigh = Math.min(high + SEARCH_BLOCK - 1, SEQ_MASK);
    const out: StoredEntry[] = [];
    // A slow stream among busy ones: its piece range is mostly others' pieces, whose doclist entries
    // FTS5 would read only for the map to drop them. Scan its own rows instead, at most chunkRows
    // of them per step; the index takes the rest of the window.
    if (
      preferScan(
        indexRowsInRange((sql) => this.#host.statement(sql), this.key, keyLow, keyHigh),
        high - low + 1,
      )
    ) {
      this.#host.stats.sparseScans++;
      const [from, to] = scanPart(low, high, backward, this.#host.scanBudget.chunkRows ?? DEFAULT_SCAN_BUDGET.chunkRows);
      out.push(...this.#readRange(from, to, window, conditions, want));
      if (out.length >= limit || unitsOf(out) >= units || (from === low && to === high)) return out;
      if (backward) {
        high = from - 1;
        keyHigh = Math.min(high + SEARCH_BLOCK - 1, SEQ_MASK);
      } else {
        low = to + 1;
        keyLow = low;
      }
    }
    for (let batch = FIRST_PIECES; out.length < limit && low <= high && keyLow <= keyHigh; batch = Math.min(batch * 4, MAX_PIECES)) {
      const lasts = pieces.all({ match: match, key: this.key, low: keyLow, high: keyHigh, limit: batch }) as number[];
      const ranges = candidateRanges(lasts, low, high);
      if (backward) ranges.reverse();
      for (const [from, to] of ranges) {
        if (out.length >= limit) break;
        out.push(...this.#readRange(from, to, window, conditions, rest(want, out)));
      }
      if (unitsOf(out) >= units) break;
      if (lasts.length < batch) break;
      // The next pieces lie beyond these, and their ranges beyond what was read (pieces of one block overlap).
      const edge = ranges.at(-1);
      if (backward) {
        keyHigh = (lasts.at(-1) as number) - 1;
        if (edge !== undefined) high = edge[0] - 1;
      } else {
        keyLow = (lasts.at(-1) as number) + 1;
        if (edge !== undefined) low = edge[1] + 1;
      }
    }
    return out;
  }

  /** The entries of seqs `low..high` meeting `conditions`, in the window's order, at most `want` (sqlite-range.ts). */
  #readRange(low: number, high: number, window: SeqWindow, conditions: SqlConditions, want: Want): StoredEntry[] {
    const backward = window.direction === 'backward';
    return readRange((sql) => this.#host.statement(sql), { key: this.key, low, high, backward, conditions }, want);
  }

  async bounds(): Promise<StoreBounds> {
    this.#host.check(this);
    // `entries.seq`, not `seq`: ORDER BY would take the result alias (seq & mask) and sort the whole stream.
    const first = this.#host
      .statement(`SELECT ${SEQ} AS first FROM entries WHERE ${IN_STREAM} ORDER BY seq LIMIT 1`)
      .get(this.key, this.key) as { first: number } | undefined;
    return { first: first?.first ?? this.lastSeq + 1, last: this.lastSeq };
  }

  async seqBeforeTime(time: number): Promise<number> {
    this.#host.check(this);
    // Marks hold the running maximum of time, so they rise with seq: the first one reaching `time`
    // in seq order is the batch where entries of that time begin.
    const mark = this.#host
      .statement(
        `SELECT last_seq & ${SEQ_MASK} AS marked FROM time_marks WHERE (last_seq >> ${SEQ_BITS}) = ? AND max_time >= ? ORDER BY max_time, last_seq LIMIT 1`,
      )
      .get(this.key, time) as { marked: number } | undefined;
    if (mark === undefined) return this.lastSeq;
    const previous = this.#host
      .statement(
        `SELECT last_seq & ${SEQ_MASK} AS marked FROM time_marks WHERE last_seq > (? << ${SEQ_BITS}) AND last_seq < ((? << ${SEQ_BITS}) | ?) ORDER BY last_seq DESC LIMIT 1`,
      )
      .get(this.key, this.key, mark.marked) as { marked: number } | undefined;
    // Scan from the marked batch on; past it only when retention removed the entry that set the mark.
    const first = this.#host
      .statement(
        `SELECT ${SEQ} AS first FROM entries WHERE seq > ((? << ${SEQ_BITS}) | ?) AND seq <= ((? << ${SEQ_BITS}) | ${SEQ_MASK}) AND time >= ? ORDER BY seq LIMIT 1`,
      )
      .get(this.key, previous?.marked ?? 0, this.key, time) as { first: number } | undefined;
    return first === undefined ? this.lastSeq : first.first - 1;
  }

  /** Counts from the summary slices when the filter allows, else from entries with bounded work. */
  async histogram(query: HistogramQuery): Promise<HistogramCounts> {
    this.#host.check(this);
    const bounds = await this.bounds();
    return countHistogram(
      {
        key: this.key,
        bounds,
        statement: (sql) => {
          this.#host.check(this);
          return this.#host.statement(sql);
        },
        seqBeforeTime: (time) => this.seqBeforeTime(time),
      },
      query,
    );
  }

  async sources(query: SourcesQuery = {}): Promise<SourceInfo[]> {
    this.#host.check(this);
    const rows = this.#host
      .statement('SELECT name, entries, last_seq, last_time FROM stream_sources WHERE stream = ? AND name > ? ORDER BY name LIMIT ?')
      .all(this.key, query.after ?? '', query.limit ?? -1) as { name: string; entries: number; last_seq: number; last_time: number }[];
    return rows.map((row) => ({ name: row.name, entries: row.entries, lastSeq: row.last_seq, lastTime: row.last_time }));
  }

  /** Prunes this stream alone by `policy` (the database's prune covers every stream by its own retention). */
  prune(policy: RetentionPolicy, batchSize: number): Promise<number> {
    return this.#host.prunePolicy(this, policy, batchSize);
  }

  isReady(): Promise<boolean> {
    return this.#host.isReady();
  }
}
