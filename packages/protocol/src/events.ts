import type { CloseReason } from './close-reasons.js';
import type { EndInfo } from './replies.js';

/**
 * Names of the control events on `GET /api/stream`. Entries themselves are unnamed SSE events
 * (`message` in a browser's EventSource).
 * @see ../../../docs/reference/sse-protocol.md
 */
export const EVENT_NAMES = {
  hello: 'hello',
  gap: 'gap',
  reset: 'reset',
  lag: 'lag',
  close: 'close',
  end: 'end',
} as const;

export type EventName = (typeof EVENT_NAMES)[keyof typeof EVENT_NAMES];

/**
 * First event of every stream. Its SSE `id:` is the position the stream starts from, so a reader cut
 * before its first entry still resumes from the moment it connected.
 */
export interface HelloEvent {
  /** The stream identity: the part before `:` in every id. */
  stream: string;
  /** Oldest retained seq (`last + 1` when nothing is retained). */
  first: number;
  /** Newest seq assigned so far (0 for an empty stream). */
  last: number;
  /** Interval of heartbeat comments in ms: a reader may treat 2.5x this much silence as a dead connection. */
  heartbeatMs: number;
  /** The stream's name (`default` on the unnamed routes). */
  name: string;
  /** Set when the stream was ended: the reader gets the rest of the entries, then `end`, then `close`. */
  ended?: EndInfo;
}

/**
 * Entries `fromSeq..toSeq` were removed by retention before this reader got them. Carries `id:` of
 * `resumeAt`, so a reconnect does not report the same gap again.
 */
export interface GapEvent {
  /** The position the reader asked to continue after. */
  after: string;
  /** The position the stream continues after: the last missing entry's id. */
  resumeAt: string;
  /** How many entries are gone: `toSeq - fromSeq + 1`. */
  missed: number;
  fromSeq: number;
  toSeq: number;
  reason: 'retention';
}

/** Why a requested position could not be used. */
export type ResetReason = 'malformed' | 'foreign' | 'future' | 'deleted';

/**
 * The requested position is malformed, from another stream, or past the newest entry; or (`deleted`)
 * the stream was deleted while the reader followed it, and a `close` with reason `deleted` follows. The stream
 * then starts as the request's other parameters say (`since`, `tail`, `from`, else live).
 */
export interface ResetEvent {
  reason: ResetReason;
  /** The stream identity the server holds now. */
  stream: string;
}

/** Sent while a reader catches up: how many entries it is behind the head. `behind: 0` once caught up. */
export interface LagEvent {
  behind: number;
}

/** Sent just before the server ends a stream, saying whether and how to reconnect. */
export interface CloseEvent {
  reason: CloseReason;
  retryable: boolean;
}

/**
 * The stream was ended by its writer. Sent after every entry of the stream, with SSE `id:` set to
 * `lastId`; a `close` with reason `ended` follows and the response ends. A reader that connects or
 * resumes after the end replays what it lacks, then gets this event.
 */
export interface EndEvent {
  /** Id of the stream's last entry; `<identity>:0` for a stream ended before any entry. */
  lastId: string;
  /** When the stream was ended, in ms since the epoch. */
  time: number;
  /** The job's exit code, when the writer gave one. */
  exitCode?: number;
  /** Why the stream ended, when the writer said. */
  reason?: string;
}
