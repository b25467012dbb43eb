import type { LogEntry } from './entry.js';
import type { GapEvent } from './events.js';
import type { LevelName } from './levels.js';

/**
 * The answer of `GET /api/logs`: one page of history.
 * @see ../../../docs/reference/http-api.md
 */
export interface HistoryPage {
  /** Always ascending by seq, whichever direction was asked. */
  entries: LogEntry[];
  /**
   * Whether another page may exist in the direction asked. A page can hold fewer than `limit`
   * entries, even none, with `hasMore` true: the server bounds the work of one request.
   */
  hasMore: boolean;
  /**
   * Set when `hasMore`: the id to continue from, as `after` when paging forward or `before` when
   * paging back. Always use it rather than the first or last entry's id.
   */
  next?: string;
  /**
   * Set on a page read `after` an id when retention removed entries just after it: they are gone, and
   * the page starts at the oldest retained one. The same fields as the stream's `gap` event.
   */
  gap?: GapEvent;
}

/** One source the server has stored entries from: an item of `GET /api/sources`. */
export interface SourceSummary {
  /** The `source` of the entries (a process, a service, a file). */
  name: string;
  /** Entries ever appended with this source, pruned ones included. */
  entries: number;
  /** Seq of the newest entry with this source. */
  lastSeq: number;
  /** `time` of the newest entry with this source, in ms since the epoch. */
  lastTime: number;
}

/** The answer of `GET /api/sources`, sorted by name, one page at a time. */
export interface SourcesReply {
  sources: SourceSummary[];
  /** When more sources exist: the name to pass as `after` for the next page. */
  next?: string;
}

/**
 * The answer of `POST /api/logs` once the batch is durable (also to a replayed `Idempotency-Key`,
 * with the header `Idempotent-Replayed: true`).
 */
export interface IngestReply {
  /** Entries the batch stored. */
  accepted: number;
  /** Id of the batch's first entry. */
  firstId: string;
  /** Id of the batch's last entry. */
  lastId: string;
}

/** How a stream was ended: the payload of `POST /api/streams/{name}/end` as stored. */
export interface EndInfo {
  /** When the stream was ended, in ms since the epoch (server time). */
  time: number;
  /** Integer in -2^31..2^31-1. */
  exitCode?: number;
  /** At most 1024 characters. */
  reason?: string;
}

/** Retention limits of one stream; a limit left out falls back to the server's default. */
export interface StreamRetention {
  maxEntries?: number;
  maxBytes?: number;
  maxAgeMs?: number;
}

/** What a server knows of one stream: `GET /api/streams/{name}` and the items of `GET /api/streams`. */
export interface StreamInfo {
  name: string;
  /** The identity in the stream's ids (the part before `:`). */
  identity: string;
  labels: Record<string, string>;
  state: 'open' | 'ended';
  /** Oldest retained seq (`last + 1` when nothing is retained). */
  first: number;
  /** Newest seq assigned (0 for a stream never written). */
  last: number;
  /** Receive time of the oldest retained entry, in ms since the epoch. */
  firstTime?: number;
  /** Receive time of the newest entry. */
  lastTime?: number;
  /** Entries retained. */
  entries: number;
  /** Bytes of entry JSON retained. */
  bytes: number;
  /** Readers connected now. */
  readers: number;
  /** When the stream was created, in ms since the epoch. */
  created: number;
  end?: EndInfo;
  /** Per-stream retention override, when one was set. */
  retention?: StreamRetention;
}

/** The answer of `GET /api/streams`: one page of streams and, when more exist, the cursor of the next. */
export interface StreamList {
  streams: StreamInfo[];
  /** Opaque keyset cursor: pass it as `after` to get the next page. */
  next?: string;
}

/** `GET /api/seek?time=T`: the first entry with time ≥ T, or the last entry when none is. */
export interface SeekReply {
  id: string;
  seq: number;
  time: number;
}

/** One bucket of a histogram: entries counted per level name, levels with none left out. */
export interface HistogramBucket {
  start: number;
  counts: Partial<Record<LevelName, number>>;
}

/** `GET /api/histogram`: `buckets` of `bucketMs` each from `since` (aligned) to `until`. */
export interface HistogramReply {
  since: number;
  until: number;
  bucketMs: number;
  buckets: HistogramBucket[];
  /** True when a filtered count ran out of budget: buckets after the cut are undercounted. */
  partial?: boolean;
}

/** `GET /api/logs?around=<id>`: the entries around an anchor, unfiltered, the anchor included. */
export interface ContextReply {
  entries: LogEntry[];
  anchor: string;
  hasBefore: boolean;
  hasAfter: boolean;
}
