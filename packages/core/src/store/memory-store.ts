import { DEFAULT_STREAM, type EndInfo, type LogEntry, type StreamRetention } from '@livelog/protocol';
import { encodeEntry, toLogEntry } from '../entry/encode-entry.js';
import { compileFilter } from '../entry/entry-filter.js';
import type { NewEntry } from '../entry/new-entry.js';
import { LivelogError } from '../errors.js';
import { AppendListeners } from './append-listeners.js';
import { scanPage } from './chunked-scan.js';
import { checkSameBody, type IdempotencyLimits, idempotencyLimits } from './idempotency.js';
import type {
  AppendListener,
  AppendOptions,
  AppendResult,
  EndListener,
  EndRequest,
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
import { pageSources } from './source-pages.js';
import { streamEnded, streamNotFound } from './stream-errors.js';
import { createStreamId } from './stream-id.js';

interface MemoryRow extends StoredEntry {
  entry: LogEntry;
  size: number;
  /** Receive time: retention judges age by it, whatever time the producer gave. */
  received: number;
}

/** Options of the in-memory store. */
export interface MemoryStoreOptions {
  /** Fixed stream identity, for tests. Defaults to a new random one. */
  streamId?: string;
  /** The stream's name. Defaults to `default`. */
  name?: string;
  labels?: Record<string, string>;
  idempotency?: IdempotencyLimits;
  /** Called once, on the first append or end: the database records the stream as created. */
  onCreate?: (store: MemoryStore) => void;
  /**
   * The activity a write records, an ordering key (ms). MemoryDatabase shares one among its streams
   * that rises with every call, so that an `order=recent` listing can pin the highest (see
   * recent-list.ts). Defaults to Date.now.
   */
  activityClock?: () => number;
}

/**
 * A store that keeps everything in process memory: for tests and throwaway servers. Everything is
 * lost with the process, and a new process is a new stream, so old ids become foreign. One instance
 * is one stream; MemoryDatabase holds many.
 */
export class MemoryStore implements LogStore {
  readonly kind = 'memory';
  readonly streamId: string;
  readonly name: string;
  readonly #rows: MemoryRow[] = [];
  /** seq of #rows[0]; rows are contiguous. */
  #firstSeq = 1;
  #lastSeq = 0;
  #bytes = 0;
  #closed = false;
  #deleted = false;
  #created: number | undefined;
  #end: EndInfo | undefined;
  #labels: Record<string, string>;
  #retention: StreamRetention | undefined;
  #lastActivity = 0;
  readonly #onCreate: ((store: MemoryStore) => void) | undefined;
  readonly #activityClock: () => number;
  readonly #listeners = new AppendListeners();
  readonly #endListeners = new Set<EndListener>();
  readonly #keyLimits: Required<IdempotencyLimits>;
  /** In insertion order, which is creation order: the oldest key is the first. */
  readonly #keys = new Map<string, { digest: string | undefined; firstSeq: number; lastSeq: number; created: number }>();
  readonly #sources = new Map<string, SourceInfo>();

  constructor(options: MemoryStoreOptions = {}) {
    this.streamId = options.streamId ?? createStreamId();
    this.name = options.name ?? DEFAULT_STREAM;
    this.#activityClock = options.activityClock ?? Date.now;
    this.#labels = { ...options.labels };
    this.#onCreate = options.onCreate;
    this.#keyLimits = idempotencyLimits(options.idempotency);
    // A store of its own exists from the start; one of a database when first written.
    if (this.#onCreate === undefined) this.#created = Date.now();
  }

  async open(): Promise<void> {}

  /** True once the stream was written, ended or created explicitly. */
  get exists(): boolean {
    return this.#created !== undefined && !this.#deleted;
  }

  /** Newest activity (append or end), for the `recent` order of a list. */
  get lastActivity(): number {
    return this.#lastActivity;
  }

  get labels(): Readonly<Record<string, string>> {
    return this.#labels;
  }

  get retention(): StreamRetention | undefined {
    return this.#retention;
  }

  /** Creates the stream if needed and replaces what is given (the database's `setStream`). */
  configure(labels: Record<string, string> | undefined, retention: StreamRetention | null | undefined): void {
    this.#checkOpen();
    if (labels !== undefined) this.#labels = { ...labels };
    if (retention === null) this.#retention = undefined;
    else if (retention !== undefined) this.#retention = { ...retention };
    this.#materialize();
  }

  /** Makes every later call reject with LIVELOG_ERR_STREAM_NOT_FOUND (the stream was deleted). */
  markDeleted(): void {
    this.#deleted = true;
    this.#rows.length = 0;
    this.#keys.clear();
    this.#sources.clear();
  }

  async append(entries: readonly NewEntry[], options: AppendOptions = {}): Promise<AppendResult> {
    this.#checkOpen();
    const key = options.idempotencyKey;
    if (key !== undefined) {
      const seen = this.#keys.get(key);
      if (seen !== undefined) {
        checkSameBody(key, seen.digest, options.bodyDigest);
        return { firstSeq: seen.firstSeq, lastSeq: seen.lastSeq, replayed: true };
      }
    }
    if (this.#end !== undefined) throw streamEnded(this.name);
    // Encode everything first, so a record JSON cannot carry leaves the store untouched.
    const received = Date.now();
    const rows = entries.map((entry, i) => {
      const seq = this.#lastSeq + 1 + i;
      const json = encodeEntry(this.streamId, seq, entry);
      return { seq, json, entry: toLogEntry(this.streamId, seq, entry), size: json.length, received };
    });
    this.#materialize();
    for (const row of rows) {
      this.#rows.push(row);
      this.#bytes += row.size;
      const source = this.#sources.get(row.entry.source);
      if (source === undefined) {
        this.#sources.set(row.entry.source, { name: row.entry.source, entries: 1, lastSeq: row.seq, lastTime: row.entry.time });
      } else {
        source.entries++;
        source.lastSeq = row.seq;
        source.lastTime = row.entry.time;
      }
    }
    const firstSeq = this.#lastSeq + 1;
    this.#lastSeq += rows.length;
    this.#lastActivity = this.#activityClock();
    if (this.#rows.length === rows.length) this.#firstSeq = firstSeq;
    const result = { firstSeq, lastSeq: this.#lastSeq, replayed: false };
    if (key !== undefined) this.#rememberKey(key, { digest: options.bodyDigest, firstSeq, lastSeq: this.#lastSeq, created: received });
    this.#listeners.emit(rows);
    return result;
  }

  async end(request: EndRequest = {}): Promise<EndInfo> {
    this.#checkOpen();
    if (this.#end !== undefined) throw streamEnded(this.name);
    const end: EndInfo = { time: Date.now() };
    if (request.exitCode !== undefined) end.exitCode = request.exitCode;
    if (request.reason !== undefined) end.reason = request.reason;
    this.#materialize();
    this.#end = end;
    this.#lastActivity = this.#activityClock();
    for (const listener of [...this.#endListeners]) listener(end);
    return end;
  }

  ended(): EndInfo | undefined {
    return this.#end;
  }

  onEnd(listener: EndListener): () => void {
    this.#endListeners.add(listener);
    return () => this.#endListeners.delete(listener);
  }

  async info(): Promise<StoredStreamInfo> {
    this.#checkOpen();
    const bounds = await this.bounds();
    const info: StoredStreamInfo = {
      name: this.name,
      identity: this.streamId,
      labels: { ...this.#labels },
      state: this.#end === undefined ? 'open' : 'ended',
      first: bounds.first,
      last: bounds.last,
      entries: this.#rows.length,
      bytes: this.#bytes,
      created: this.#created ?? Date.now(),
    };
    const oldest = this.#rows[0];
    const newest = this.#rows[this.#rows.length - 1];
    if (oldest !== undefined) info.firstTime = oldest.received;
    if (newest !== undefined) info.lastTime = newest.received;
    if (this.#end !== undefined) info.end = { ...this.#end };
    if (this.#retention !== undefined) info.retention = { ...this.#retention };
    return info;
  }

  async readAfter(afterSeq: number, limit: number): Promise<StoredEntry[]> {
    this.#checkOpen();
    const start = Math.max(0, afterSeq + 1 - this.#firstSeq);
    return this.#rows.slice(start, start + limit);
  }

  async read(query: ReadQuery): Promise<ReadPage> {
    this.#checkOpen();
    const matches = compileFilter(query.filter);
    // The same bounded, yielding scan as the SQLite store: a big memory store must not freeze the loop either.
    return scanPage(query, await this.bounds(), (window) => {
      const found: MemoryRow[] = [];
      const step = window.direction === 'backward' ? -1 : 1;
      const from = window.direction === 'backward' ? window.high : window.low;
      let units = 0;
      for (let seq = from; seq >= window.low && seq <= window.high && found.length < window.limit && units < window.units; seq += step) {
        const row = this.#rows[seq - this.#firstSeq];
        if (row !== undefined && matches(row.entry)) {
          found.push(row);
          units += row.json.length;
        }
      }
      return found;
    });
  }

  async bounds(): Promise<StoreBounds> {
    this.#checkOpen();
    return { first: this.#rows.length > 0 ? this.#firstSeq : this.#lastSeq + 1, last: this.#lastSeq };
  }

  async seqBeforeTime(time: number): Promise<number> {
    this.#checkOpen();
    const row = this.#rows.find((candidate) => candidate.entry.time >= time);
    return row === undefined ? this.#lastSeq : row.seq - 1;
  }

  async sources(query?: SourcesQuery): Promise<SourceInfo[]> {
    this.#checkOpen();
    return pageSources([...this.#sources.values()], query).map((info) => ({ ...info }));
  }

  /**
   * Whether `prune(policy)` would remove anything (entries or keys): O(1), so that a database of many
   * idle streams does not await a prune per stream and pass.
   */
  needsPrune(policy: RetentionPolicy, now: number): boolean {
    if (this.#closed || this.#deleted) return false;
    const oldest = this.#rows[0];
    if (policy.maxEntries !== undefined && this.#rows.length > policy.maxEntries) return true;
    if (policy.maxBytes !== undefined && this.#bytes > policy.maxBytes) return true;
    if (policy.maxAgeMs !== undefined && oldest !== undefined && oldest.received < now - policy.maxAgeMs) return true;
    const oldestKey = this.#keys.values().next();
    return !oldestKey.done && oldestKey.value.created < now - this.#keyLimits.ttlMs;
  }

  /** Applies `policy` (the caller merges this stream's own retention into it). */
  async prune(policy: RetentionPolicy, batchSize: number): Promise<number> {
    if (this.#closed || this.#deleted) return 0;
    const cutoff = policy.maxAgeMs === undefined ? undefined : Date.now() - policy.maxAgeMs;
    let removed = 0;
    let bytes = this.#bytes;
    while (removed < batchSize && removed < this.#rows.length) {
      const oldest = this.#rows[removed] as MemoryRow;
      const overCount = policy.maxEntries !== undefined && this.#rows.length - removed > policy.maxEntries;
      const overBytes = policy.maxBytes !== undefined && bytes > policy.maxBytes;
      const tooOld = cutoff !== undefined && oldest.received < cutoff;
      if (!overCount && !overBytes && !tooOld) break;
      bytes -= oldest.size;
      removed++;
    }
    this.#rows.splice(0, removed);
    this.#bytes = bytes;
    this.#firstSeq += removed;
    if (removed > 0) {
      // A source none of whose entries is retained any more goes with them (issue 11.5).
      for (const [name, source] of this.#sources) if (source.lastSeq < this.#firstSeq) this.#sources.delete(name);
    }
    this.#expireKeys(Date.now());
    return removed;
  }

  onAppend(listener: AppendListener): () => void {
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #rememberKey(key: string, record: { digest: string | undefined; firstSeq: number; lastSeq: number; created: number }): void {
    this.#keys.set(key, record);
    // Bounded by count even when nothing else expires them (issue 11.6): forget the oldest.
    while (this.#keys.size > this.#keyLimits.maxKeys) {
      const oldest = this.#keys.keys().next();
      if (oldest.done) break;
      this.#keys.delete(oldest.value);
    }
  }

  #expireKeys(now: number): void {
    const cutoff = now - this.#keyLimits.ttlMs;
    for (const [key, seen] of this.#keys) {
      // Creation order: the first key young enough ends the scan.
      if (seen.created >= cutoff) break;
      this.#keys.delete(key);
    }
  }

  #materialize(): void {
    if (this.#created !== undefined) return;
    this.#created = Date.now();
    this.#lastActivity = this.#activityClock();
    this.#onCreate?.(this);
  }

  #checkOpen(): void {
    if (this.#closed) throw new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the memory store is closed');
    if (this.#deleted) throw streamNotFound(this.name);
  }
}
