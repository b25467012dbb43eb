import type { LogEntry } from '@livelog/protocol';
import { encodeEntry, toLogEntry } from '../entry/encode-entry.js';
import { compileFilter } from '../entry/entry-filter.js';
import type { NewEntry } from '../entry/new-entry.js';
import { LivelogError } from '../errors.js';
import { AppendListeners } from './append-listeners.js';
import { scanPage } from './chunked-scan.js';
import { checkSameBody, IDEMPOTENCY_TTL_MS } from './idempotency.js';
import type {
  AppendListener,
  AppendOptions,
  AppendResult,
  LogStore,
  ReadPage,
  ReadQuery,
  RetentionPolicy,
  SourceInfo,
  StoreBounds,
  StoredEntry,
} from './log-store.js';
import { createStreamId } from './stream-id.js';

interface MemoryRow extends StoredEntry {
  entry: LogEntry;
  size: number;
}

/** Options of the in-memory store. */
export interface MemoryStoreOptions {
  /** Fixed stream identity, for tests. Defaults to a new random one. */
  streamId?: string;
}

/**
 * A store that keeps everything in process memory: for tests and throwaway servers. Everything is
 * lost with the process, and a new process is a new stream, so old ids become foreign.
 */
export class MemoryStore implements LogStore {
  readonly kind = 'memory';
  readonly streamId: string;
  readonly #rows: MemoryRow[] = [];
  /** seq of #rows[0]; rows are contiguous. */
  #firstSeq = 1;
  #lastSeq = 0;
  #bytes = 0;
  #closed = false;
  readonly #listeners = new AppendListeners();
  readonly #keys = new Map<string, { digest: string | undefined; firstSeq: number; lastSeq: number; created: number }>();
  readonly #sources = new Map<string, SourceInfo>();

  constructor(options: MemoryStoreOptions = {}) {
    this.streamId = options.streamId ?? createStreamId();
  }

  async open(): Promise<void> {}

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
    // Encode everything first, so a record JSON cannot carry leaves the store untouched.
    const rows = entries.map((entry, i) => {
      const seq = this.#lastSeq + 1 + i;
      const json = encodeEntry(this.streamId, seq, entry);
      return { seq, json, entry: toLogEntry(this.streamId, seq, entry), size: json.length };
    });
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
    if (this.#rows.length === rows.length) this.#firstSeq = firstSeq;
    const result = { firstSeq, lastSeq: this.#lastSeq, replayed: false };
    if (key !== undefined) this.#keys.set(key, { digest: options.bodyDigest, firstSeq, lastSeq: this.#lastSeq, created: Date.now() });
    this.#listeners.emit(rows);
    return result;
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
      for (let seq = from; seq >= window.low && seq <= window.high && found.length < window.limit; seq += step) {
        const row = this.#rows[seq - this.#firstSeq];
        if (row !== undefined && matches(row.entry)) found.push(row);
      }
      return found;
    });
  }

  async bounds(): Promise<StoreBounds> {
    return { first: this.#rows.length > 0 ? this.#firstSeq : this.#lastSeq + 1, last: this.#lastSeq };
  }

  async seqBeforeTime(time: number): Promise<number> {
    const row = this.#rows.find((candidate) => candidate.entry.time >= time);
    return row === undefined ? this.#lastSeq : row.seq - 1;
  }

  async sources(): Promise<SourceInfo[]> {
    return [...this.#sources.values()].map((info) => ({ ...info })).sort((a, b) => a.name.localeCompare(b.name));
  }

  async prune(policy: RetentionPolicy, batchSize: number): Promise<number> {
    const cutoff = policy.maxAgeMs === undefined ? undefined : Date.now() - policy.maxAgeMs;
    let removed = 0;
    let bytes = this.#bytes;
    while (removed < batchSize && removed < this.#rows.length) {
      const oldest = this.#rows[removed] as MemoryRow;
      const overCount = policy.maxEntries !== undefined && this.#rows.length - removed > policy.maxEntries;
      const overBytes = policy.maxBytes !== undefined && bytes > policy.maxBytes;
      const tooOld = cutoff !== undefined && oldest.entry.time < cutoff;
      if (!overCount && !overBytes && !tooOld) break;
      bytes -= oldest.size;
      removed++;
    }
    this.#rows.splice(0, removed);
    this.#bytes = bytes;
    this.#firstSeq += removed;
    const keyCutoff = Date.now() - IDEMPOTENCY_TTL_MS;
    for (const [key, seen] of this.#keys) if (seen.created < keyCutoff) this.#keys.delete(key);
    return removed;
  }

  onAppend(listener: AppendListener): () => void {
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #checkOpen(): void {
    if (this.#closed) throw new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the memory store is closed');
  }
}
