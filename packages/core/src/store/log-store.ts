import type { EndInfo, LogEntry, SourceSummary, StreamInfo } from '@livelog/protocol';
import type { EntryFilter } from '../entry/entry-filter.js';
import type { NewEntry } from '../entry/new-entry.js';

/**
 * An entry as a store holds it: its position and its JSON text, encoded once at append. Readers that
 * only forward the entry (replay, history pages) never parse it again; `entry` is filled when the
 * store has the object at hand anyway.
 */
export interface StoredEntry {
  seq: number;
  /** `JSON.stringify` of the LogEntry, `id` included. */
  json: string;
  entry?: LogEntry;
}

/** The retained window of a stream. */
export interface StoreBounds {
  /** Oldest retained seq; `last + 1` when nothing is retained. */
  first: number;
  /** Newest seq assigned (0 for a stream that never held an entry). Never decreases. */
  last: number;
}

/** What `append` answers once the batch is durable. */
export interface AppendResult {
  firstSeq: number;
  lastSeq: number;
  /** True when an earlier batch with the same idempotency key was found: nothing was stored again. */
  replayed: boolean;
}

export interface AppendOptions {
  /**
   * A key naming this batch: a retry with the same key and body stores nothing again and answers the
   * first result; the same key with a different body fails with LIVELOG_ERR_INGEST_IDEMPOTENCY_MISMATCH.
   */
  idempotencyKey?: string;
  /** A digest of the batch's body, compared when the key is seen again. */
  bodyDigest?: string;
}

/** One page of a history read. */
export interface ReadQuery {
  /** Entries with seq > after, ascending. */
  after?: number;
  /** Entries with seq < before; with `direction: 'backward'` the page nearest to `before`. */
  before?: number;
  /** `forward` (default) takes the oldest matching entries of the range, `backward` the newest. */
  direction?: 'forward' | 'backward';
  limit: number;
  filter?: EntryFilter;
}

export interface ReadPage {
  /** Always ascending by seq. */
  entries: StoredEntry[];
  /**
   * Another matching entry may exist beyond the page in the direction read. A store that bounds the
   * work of one read (see chunked-scan.ts) can answer fewer than `limit` entries, even none, with
   * `hasMore` and a `resume` position.
   */
  hasMore: boolean;
  /**
   * Where to continue when `hasMore`: read again with `after: resume` (forward) or `before: resume`
   * (backward). Stores that always fill the page may leave it out; it is then the seq of the last
   * entry in the direction read.
   */
  resume?: number;
}

/** Where a read of `page` continues in `direction`; undefined when there is nothing more. */
export function resumeOf(page: ReadPage, direction: 'forward' | 'backward' | undefined): number | undefined {
  if (!page.hasMore) return undefined;
  if (page.resume !== undefined) return page.resume;
  const edge = direction === 'backward' ? page.entries[0] : page.entries[page.entries.length - 1];
  return edge?.seq;
}

/** A source name and what the store knows of it: what `GET /api/sources` lists. */
export type SourceInfo = SourceSummary;

/** Retention limits; any left undefined is unlimited. */
export interface RetentionPolicy {
  maxEntries?: number;
  maxBytes?: number;
  maxAgeMs?: number;
}

/** Appended entries, in seq order, as the store announces them to its listeners. */
export type AppendListener = (entries: readonly StoredEntry[]) => void;

/** Called once when the stream was ended, after every entry before the end was announced. */
export type EndListener = (end: EndInfo) => void;

/** What a writer says when it ends a stream. */
export interface EndRequest {
  exitCode?: number;
  reason?: string;
}

/** A stream as its store knows it: StreamInfo without `readers`, which only the engine knows. */
export type StoredStreamInfo = Omit<StreamInfo, 'readers'>;

/** One page of `sources()`: names after `after`, in name order, at most `limit`. */
export interface SourcesQuery {
  after?: string;
  limit?: number;
}

/**
 * Where every line is appended and given a position. Every reader is only a cursor into a store.
 *
 * Contract (checked by `describeLogStore` for every implementation):
 * - `seq` starts at 1, increases by exactly 1 per entry, and is never reused, across restarts and
 *   after retention removes everything.
 * - An append is all or nothing, and resolves only once the batch is durable.
 * - Retention removes only a prefix: the retained seqs are always the contiguous range `first..last`,
 *   so any hole a reader sees before `first` was removed, and nothing after it ever is.
 * - Listeners see every appended entry exactly once, in seq order, after it is durable.
 * - `streamId` is fixed for the life of the data and changes when the data is wiped.
 *
 * Methods are async so that a network store (Redis Streams) fits the same interface.
 */
export interface BasicLogStore {
  /** Short name of the implementation, for logs and metrics: `sqlite`, `memory`, `redis`. */
  readonly kind: string;
  /** The stream identity. Valid once `open` resolved. */
  readonly streamId: string;
  /** Opens or creates the store. */
  open(): Promise<void>;
  /** Appends a batch atomically; resolves when it is durable. */
  append(entries: readonly NewEntry[], options?: AppendOptions): Promise<AppendResult>;
  /** Reads up to `limit` entries with seq > `afterSeq`, ascending, without filtering. */
  readAfter(afterSeq: number, limit: number): Promise<StoredEntry[]>;
  /**
   * Optional fast path of catch-up: up to `limit` entries with seq > `afterSeq` as SSE entry frames
   * (`data: <stored JSON>`, then `id: <idPrefix>:<seq>`) in one buffer, built by the store without a
   * JavaScript string per entry. Undefined when no entry follows `afterSeq`.
   */
  readFrames?(afterSeq: number, limit: number, idPrefix: string): Promise<FramePage | undefined>;
  /** Reads one filtered page of history. */
  read(query: ReadQuery): Promise<ReadPage>;
  bounds(): Promise<StoreBounds>;
  /** The last seq before the first entry whose time is >= `time` (so a reader at it starts there). */
  seqBeforeTime(time: number): Promise<number>;
  /** Sources in name order; with a query, one page of them (names > `after`, at most `limit`). */
  sources(query?: SourcesQuery): Promise<SourceInfo[]>;
  /**
   * Removes at most `batchSize` of the oldest entries that the policy no longer keeps.
   * Resolves to how many were removed; 0 means the store is within the policy.
   */
  prune(policy: RetentionPolicy, batchSize: number): Promise<number>;
  /** Registers a listener for appended entries; returns a function that removes it. */
  onAppend(listener: AppendListener): () => void;
  /** Finishes pending appends, then closes. */
  close(): Promise<void>;
}

/** Entries as ready-made SSE frames (see LogStore.readFrames). */
export interface FramePage {
  firstSeq: number;
  lastSeq: number;
  count: number;
  /** UTF-8 frames, ascending by seq. */
  frames: Buffer;
  /** Where each frame starts (offsets[i] for firstSeq+i, offsets[count] = frames.length), when the store found them. */
  offsets?: Uint32Array;
}

/**
 * One named stream of a LogDatabase (or a store of its own, such as a MemoryStore in a test): the
 * BasicLogStore contract, plus a name, an end, and what `GET /api/streams/{name}` shows.
 *
 * Further contract (checked by `describeLogStore`):
 * - `end` is durable like an append and atomic with appends: an append either commits before the end
 *   (and its entries are before it) or fails with LIVELOG_ERR_STREAM_ENDED. A second `end` fails with
 *   LIVELOG_ERR_STREAM_ENDED too.
 * - End listeners are called after the append listeners saw every entry before the end.
 * - A handle of a deleted stream rejects every call with LIVELOG_ERR_STREAM_NOT_FOUND.
 */
export interface LogStore extends BasicLogStore {
  /** The stream's name (`default` for a store that holds one stream). */
  readonly name: string;
  /** Bounds, counts, labels, state: what the stream list shows, without readers. */
  info(): Promise<StoredStreamInfo>;
  /** Ends the stream; resolves once the end is durable. */
  end(request?: EndRequest): Promise<EndInfo>;
  /** How the stream ended, or undefined while it is open. Cached: no I/O. */
  ended(): EndInfo | undefined;
  /** Registers a listener for the end; returns a function that removes it. */
  onEnd(listener: EndListener): () => void;
}

/** Optional ability: a store that can say whether it is usable right now (`/readyz`). */
export interface HealthCheckedStore extends BasicLogStore {
  isReady(): Promise<boolean>;
}

/** True when `store` can report readiness. */
export function isHealthChecked(store: BasicLogStore): store is HealthCheckedStore {
  return typeof (store as Partial<HealthCheckedStore>).isReady === 'function';
}
