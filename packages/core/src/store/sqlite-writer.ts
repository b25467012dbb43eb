import { Worker } from 'node:worker_threads';
import { type WorkerAnswer, WorkerCalls } from './worker-calls.js';

/**
 * Retention the writer thread judges `prune_due` by: the server's defaults (a stream's own retention
 * in its row overrides each) and the idempotency key count per stream. null: unlimited.
 */
export interface DuePolicy {
  maxEntries: number | null;
  maxBytes: number | null;
  maxAgeMs: number | null;
  maxKeys: number;
}

/** Everything one group commit writes, across streams, column by column (cheap to copy to the writer thread). */
export interface CommitRequest {
  type: 'commit';
  /** Per entry: stream key and seq (the rowid is composed in SQL), time, level, source, JSON. */
  streamKeys: number[];
  seqs: number[];
  times: number[];
  levels: number[];
  sources: string[];
  jsons: string[];
  /** Receive time of the whole group. */
  received: number;
  /** Per stream and source: stream key, name, entries added, last seq, last time. */
  sourceStats: [number, string, number, number, number][];
  /** Per stream: key, last seq, running maximum of time. */
  marks: [number, number, number][];
  /** Histogram summary increments: stream key, slice width (ms), slice start, level number, count. */
  slices: [number, number, number, number, number][];
  /** Idempotency records: stream key, key, body digest, first seq, last seq, created. */
  keys: [number, string, string | null, number, number, number][];
  /** Streams this group creates: key, name, identity, labels JSON, created. */
  creates: [number, string, string, string, number][];
  /** Per stream written or ended: key, last seq, max time, entries added, bytes added, keys added, end JSON or null. */
  streams: [number, number, number, number, number, number, string | null][];
  nextKey: number;
  policy: DuePolicy;
}

export interface OpenRequest {
  type: 'open';
  file: string;
  durability: 'normal' | 'full';
  /** Keep the search index (create it, filling it from the stored entries, when missing); false drops it. */
  searchIndex: boolean;
  /** Longest wait of a committed entry for its search index rows, in ms (see DeferredIndex). */
  indexDelayMs?: number;
}

/** Creates a stream or replaces its labels and/or retention. */
export interface SetRequest {
  type: 'set';
  key: number;
  name: string;
  identity: string;
  created: number;
  /** JSON, or null to keep. */
  labels: string | null;
  /** Whether to replace retention, and with what JSON (null: none). */
  retention: [boolean, string | null];
  nextKey: number;
  policy: DuePolicy;
}

/** Removes the entries of one stream up to a seq, with their sources and marks; trims its keys to the count. */
export interface PruneRequest {
  type: 'prune';
  key: number;
  /** Delete entries with seq <= upTo (0: none). */
  upTo: number;
  policy: DuePolicy;
}

/** Forgets idempotency keys created before `before`, at most `limit` of them. Replies with how many. */
export interface ExpireKeysRequest {
  type: 'expire-keys';
  before: number;
  limit: number;
}

/** Recomputes every stream's prune_due for new defaults. */
export interface PolicyRequest {
  type: 'policy';
  policy: DuePolicy;
}

/** Removes a stream's row, sources, keys and marks; its entries go later, by `purge`. */
export interface DeleteRequest {
  type: 'delete';
  key: number;
}

/** Removes up to `limit` entries of a deleted stream. Replies 1 when none is left (and forgets the stream), else 0. */
export interface PurgeRequest {
  type: 'purge';
  key: number;
  limit: number;
}

export interface CloseRequest {
  type: 'close';
}

/** Reads the writer connection's `PRAGMA synchronous` back (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA). */
export interface SynchronousRequest {
  type: 'synchronous';
}

/** Writes the search index rows of every committed entry now (see DeferredIndex); answers how many were queued. */
export interface IndexRequest {
  type: 'index';
}

export type WriterRequest =
  | OpenRequest
  | IndexRequest
  | CommitRequest
  | SetRequest
  | PruneRequest
  | ExpireKeysRequest
  | PolicyRequest
  | DeleteRequest
  | PurgeRequest
  | CloseRequest
  | SynchronousRequest;

/** What the writer thread answers to a request with this id. */
export type WriterReply = { id: number } & WorkerAnswer<{ value?: number }>;

/**
 * The SQLite writer thread. Inserting and committing cost more than half of an entry's ingest CPU;
 * on their own thread they run while the event loop parses the next requests and serves readers, and
 * WAL checkpoints no longer pause delivery. One request runs at a time, in order.
 */
export class SqliteWriter {
  readonly #calls: WorkerCalls<WriterRequest, { value?: number }>;

  private constructor(worker: Worker) {
    this.#calls = new WorkerCalls(worker, (code) => new Error(`the SQLite writer thread exited (code ${code})`));
  }

  /** True when opening rebuilt a search index of the layout before dense rowids (see sqlite-search). */
  searchIndexRebuilt = false;

  /** Starts the writer thread and opens the database in it. */
  static async start(file: string, durability: 'normal' | 'full', searchIndex = true, indexDelayMs?: number): Promise<SqliteWriter> {
    const writer = new SqliteWriter(new Worker(workerUrl()));
    try {
      const open: OpenRequest = { type: 'open', file, durability, searchIndex };
      if (indexDelayMs !== undefined) open.indexDelayMs = indexDelayMs;
      writer.searchIndexRebuilt = (await writer.request(open)) === 1;
    } catch (error) {
      await writer.#calls.terminate();
      throw error;
    }
    return writer;
  }

  /** Set once the thread failed or exited: nothing more can be written. */
  get failure(): Error | undefined {
    return this.#calls.failure;
  }

  /** Runs one request; resolves to its value (a count for some requests, else 0). */
  async request(message: WriterRequest): Promise<number> {
    return (await this.#calls.call(message)).value ?? 0;
  }

  close(): Promise<void> {
    return this.#calls.close({ type: 'close' }, new Error('the SQLite writer is closed'));
  }
}

/** The worker's module: beside this one once built; from the build when this file runs as TypeScript (tests). */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/store/sqlite-writer-worker.js', here) : new URL('./sqlite-writer-worker.js', here);
}
