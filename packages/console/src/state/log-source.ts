import type { SourceSummary } from '@livelog/client';
import type { GapEvent, HelloEvent, HistoryPage, LogEntry, ResetEvent } from '@livelog/protocol';
import type { ServerFilter } from './line-filter.js';

/** Where a stream starts: after an id (exact resume), the last N matching lines, or now. */
export type StreamStart = { lastEventId: string } | { tail: number } | { live: true };

/** Connection state as the console shows it. */
export interface ConnectionStatus {
  state: 'connecting' | 'live' | 'reconnecting' | 'closed' | 'failed';
  /** Reconnect attempts since the last healthy connection. */
  attempt: number;
  /** When reconnecting: ms until the next try. */
  nextRetryMs?: number;
  /** Why the connection failed or was closed, when known. */
  reason?: string;
}

/** What a stream reports. Entries come in batches, in order, each seq once. */
export interface StreamListener {
  entries(batch: readonly LogEntry[]): void;
  hello(hello: HelloEvent): void;
  gap(gap: GapEvent): void;
  reset(reset: ResetEvent): void;
  lag(behind: number): void;
  status(status: ConnectionStatus): void;
  /** Every entry up to this id has been handed to `entries` (id-only progress included): a safe place to resume. */
  cursor(lastEventId: string): void;
}

/** An open stream. */
export interface StreamHandle {
  /** The id the stream would resume after now (advanced by entries and id-only progress events). */
  lastEventId(): string | undefined;
  /** Cuts a backoff wait short (or drops the connection) and connects again at once, from the cursor. */
  reconnectNow(): void;
  close(): void;
}

/** A page of history, ascending. */
export type { HistoryPage };

/** Which page of history: before or after an id, from the oldest retained, or the newest. */
export type HistoryPosition = { before: string } | { after: string } | { fromStart: true } | { newest: true };

/**
 * Everything the console needs from the server, in one small seam so that the element's logic does
 * not depend on how the client library spells it. The only implementation talks through @livelog/client.
 */
export interface LogSource {
  open(start: StreamStart, filter: ServerFilter, listener: StreamListener): StreamHandle;
  history(position: HistoryPosition, filter: ServerFilter, limit: number, signal?: AbortSignal): Promise<HistoryPage>;
  sources(signal?: AbortSignal): Promise<SourceSummary[]>;
}

/** One source the server has seen (`GET /api/sources`). */
export type { SourceSummary } from '@livelog/client';

/** Where the server is and how to authenticate. `url` is the base (e.g. `.` or `https://host/logs`). */
export interface SourceOptions {
  url: string;
  token?: string;
}
