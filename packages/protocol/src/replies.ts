import type { LogEntry } from './entry.js';

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

/** The answer of `GET /api/sources`, sorted by name. */
export interface SourcesReply {
  sources: SourceSummary[];
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
