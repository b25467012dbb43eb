import type { EndEvent, GapEvent, HelloEvent, LagEvent, LogEntry, ResetEvent } from '@livelog/protocol';
import type { LivelogClientError } from './errors.js';

/**
 * Where a stream is in its life:
 * - `connecting`: a request is on its way (the first, or a reconnect);
 * - `open`: the server's `hello` arrived; entries flow;
 * - `waiting`: the connection ended; the next attempt starts in `nextRetryMs`;
 * - `closed`: `close()` was called, the stream ended (`end`), or a fatal error ended it (then `error` is set).
 */
export type StreamState = 'connecting' | 'open' | 'waiting' | 'closed';

/** Payload of `status` events. */
export interface StreamStatus {
  state: StreamState;
  /** Failed attempts since the last healthy connection (0 on a first try). */
  attempt: number;
  /** Delay before the next attempt, in ms, while `waiting`. */
  nextRetryMs: number | undefined;
  /** The position the stream resumes from. */
  lastEventId: string;
  /** Why the last connection ended (`waiting`), or why the stream stopped (`closed` by a fatal error). */
  error?: LivelogClientError;
}

/**
 * Events of a stream and their payloads. Listeners may return a promise: the stream reads no more
 * from the network until it settles, so a slow consumer slows the stream instead of growing a buffer.
 */
export interface StreamEventMap {
  /**
   * Entries, in seq order, each once: one batch per received network chunk (or per run of entries
   * between control events). The array is the listener's to keep.
   */
  entries: readonly LogEntry[];
  /** Every connection's first event: the stream identity and retained window. */
  hello: HelloEvent;
  /** Retention removed `missed` entries before this reader got them; the stream continues after them. */
  gap: GapEvent;
  /**
   * The position was malformed, foreign (data wiped, another server) or in the future; the stream
   * restarted. Reason `deleted`: the stream was deleted; an `error` (`LIVELOG_CLIENT_ERR_STREAM_DELETED`) follows.
   */
  reset: ResetEvent;
  /** How far behind the head the reader is while catching up; `behind: 0` once caught up. */
  lag: LagEvent;
  /**
   * The stream ended (`POST /api/streams/{name}/end`), with the writer's `exitCode` and/or `reason`:
   * every entry before it was delivered. The stream then closes (status `closed`, no `error`), the
   * async iterator finishes, and nothing reconnects.
   */
  end: EndEvent;
  /**
   * The position moved (entries, id-only events past filtered ones, gaps), once per received chunk,
   * after that chunk's `entries` listeners (and the promises they returned) are done: the id to
   * store to continue later exactly after what the listeners have.
   */
  cursor: string;
  status: StreamStatus;
  /** A fatal error: the stream is closed. */
  error: LivelogClientError;
}
