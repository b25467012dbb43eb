import type { StreamRetention } from '@livelog/protocol';
import type { LogStore, RetentionPolicy, StoredStreamInfo } from './log-store.js';

/** What happened to a stream, as a database announces it. */
export interface StreamChange {
  type: 'created' | 'ended' | 'deleted';
  name: string;
}

export type StreamChangeListener = (change: StreamChange) => void;

/** Options of `openStream`. */
export interface OpenStreamOptions {
  /** Labels the stream gets if this call (or the first write through the handle) creates it. */
  labels?: Record<string, string>;
}

/** What `setStream` (PUT) changes; a key left out keeps its value. */
export interface SetStreamOptions {
  /** Replaces the labels. */
  labels?: Record<string, string>;
  /** Replaces the per-stream retention override; `null` removes it (server defaults apply). */
  retention?: StreamRetention | null;
}

/** One page request of `list`. */
export interface ListStreamsQuery {
  /** Only names starting with this. */
  prefix?: string;
  /** Only streams carrying every one of these labels with these values. */
  labels?: Record<string, string>;
  /** The `next` of the previous page (opaque). */
  after?: string;
  limit: number;
  /** `name` (default, ascending) or `recent` (newest activity first). */
  order?: 'name' | 'recent';
}

export interface ListStreamsPage {
  streams: StoredStreamInfo[];
  /** Cursor of the next page, when there is one. */
  next?: string;
}

/**
 * Many named streams behind one store URL (one SQLite file, one Redis, one process's memory). Each
 * stream is a LogStore with its own identity, seq, retention and end.
 *
 * Contract (checked by `describeLogDatabase`):
 * - Streams are isolated: each has seq from 1 and its own identity; no entry crosses streams.
 * - `openStream` returns a handle at once; the stream is created by its first append or end (or by
 *   `setStream`), so a refused first write leaves no stream behind. `stream` returns existing streams only.
 * - Handles are cached: the same name gives the same handle until the stream is deleted. A deleted
 *   stream's handle rejects with LIVELOG_ERR_STREAM_NOT_FOUND; the name can be used again (a new identity).
 * - `prune` applies `defaults`, overridden per stream by its own retention, and bounds idempotency keys;
 *   its cost per call is bounded by the streams over a limit, not by the number of streams.
 */
export interface LogDatabase {
  /** `sqlite`, `memory`, `redis`. */
  readonly kind: string;
  open(): Promise<void>;
  /** Finishes pending writes of every stream, then closes. */
  close(): Promise<void>;
  /** The stream if it exists. */
  stream(name: string): Promise<LogStore | undefined>;
  /** The stream's handle, created on its first write when it does not exist yet. */
  openStream(name: string, options?: OpenStreamOptions): Promise<LogStore>;
  /** Creates the stream or updates its labels and retention. */
  setStream(name: string, options: SetStreamOptions): Promise<StoredStreamInfo>;
  list(query: ListStreamsQuery): Promise<ListStreamsPage>;
  /** Removes the stream and its entries; false when it did not exist. */
  delete(name: string): Promise<boolean>;
  onStreamChange(listener: StreamChangeListener): () => void;
  /**
   * Removes at most about `batchSize` entries that retention no longer keeps, across streams, and
   * expired idempotency keys and sources. Resolves to the entries removed; 0 means within every policy.
   */
  prune(defaults: RetentionPolicy, batchSize: number): Promise<number>;
  /** Whether the database is usable right now (`/readyz`). */
  isReady(): Promise<boolean>;
}

/** The retention of one stream: its own limits where set, else the defaults. */
export function effectiveRetention(defaults: RetentionPolicy, own: StreamRetention | undefined): RetentionPolicy {
  if (own === undefined) return defaults;
  const policy: RetentionPolicy = { ...defaults };
  if (own.maxEntries !== undefined) policy.maxEntries = own.maxEntries;
  if (own.maxBytes !== undefined) policy.maxBytes = own.maxBytes;
  if (own.maxAgeMs !== undefined) policy.maxAgeMs = own.maxAgeMs;
  return policy;
}
