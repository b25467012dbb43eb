import type { PersistOptions } from './browser/cursor-storage.js';
import type { ShareOptions } from './browser/tab-share.js';
import type { ServerOptions, StreamFilter } from './http-request.js';
import type { BackoffOptions } from './reconnect.js';

/**
 * Where a new stream starts. The server takes the first that applies, in this order:
 * `lastEventId`, `since`, `tail`, `fromStart`; with none, the stream is live only (new entries).
 * Only the first connection uses it: every reconnect resumes from the cursor.
 */
export interface StreamStart {
  /** Resume after this id (`<stream>:<seq>`), e.g. one saved from an earlier run. */
  lastEventId?: string;
  /** Entries from this time on: a Date, epoch ms, an ISO 8601 string or a duration back from now (`10m`). */
  since?: Date | number | string;
  /** The last N retained entries (matching the filter), then live; `all` for everything retained. */
  tail?: number | 'all';
  /** Everything retained, then live. */
  fromStart?: boolean;
}

/** Options of openStream. Only `url` is required. */
export interface OpenStreamOptions extends ServerOptions {
  /** Where to start. Defaults to live only. */
  start?: StreamStart;
  /** Which entries to receive (applied by the server). Defaults to all. */
  filter?: StreamFilter;
  /**
   * Entries before this time only (a Date, epoch ms, an ISO 8601 string or a duration back from now):
   * the server replays up to it and closes with reason `until`, and the stream closes without an
   * error, never reconnecting. A time to come closes the stream when the server's clock reaches it.
   */
  until?: Date | number | string;
  /** Reconnect delays; see BackoffOptions. Defaults: jittered from 1 s (or the server's `retry:`) up to 30 s, forever. */
  backoff?: BackoffOptions;
  /**
   * Silence that declares a connection dead, in ms, until the server's `hello` tells its heartbeat
   * (then `watchdogFactor` × `hello.heartbeatMs` applies). Defaults to 37,500 (2.5 × 15 s).
   */
  connectTimeoutMs?: number;
  /** Multiple of the server's heartbeat interval after which silence means a dead connection. Defaults to 2.5. */
  watchdogFactor?: number;
  /** Browsers: keep the cursor in sessionStorage so a reload resumes. Defaults to false. */
  persist?: boolean | PersistOptions;
  /** Browsers: share one connection among tabs (Web Locks + BroadcastChannel). Defaults to false. */
  share?: boolean | ShareOptions;
  /** Browsers: reconnect at once when the page comes back after being hidden this long, in ms. Defaults to 60,000. */
  visibleReconnectMs?: number;
  /** Closes the stream when aborted. */
  signal?: AbortSignal;
}
