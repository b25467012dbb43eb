import type { CloseReason } from './close-reasons.js';

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
export type ResetReason = 'malformed' | 'foreign' | 'future';

/**
 * The requested position is malformed, from another stream, or past the newest entry. The stream
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
