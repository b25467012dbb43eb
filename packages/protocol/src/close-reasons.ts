/**
 * Why the server ended a stream. The reason carries the reconnect rule: a reader reconnects with its
 * Last-Event-ID after a retryable reason and stops after a terminal one.
 *
 * - `overflow`: the reader fell too far behind a bounded resource; resume by cursor.
 * - `shutdown`: the server is stopping or restarting; resume by cursor, maybe on another instance.
 * - `stalled`: the reader's socket accepted nothing for longer than the stall limit; resume by cursor.
 * - `busy`: the server was asked to stream to more readers than it serves (`--max-readers`); the
 *   stream never started; reconnect by cursor after the `retry:` it carries.
 * - `unavailable`: the store could not be reached when the stream was asked for; it never started;
 *   reconnect by cursor after the `retry:` it carries.
 * - `unauthorized`: the token is missing or no longer valid; reconnecting with the same token is futile.
 * - `forbidden`: the token lacks the `read` scope.
 * - `ended`: the stream was ended by its writer (an `end` event came just before); nothing more will come.
 * - `deleted`: the stream was deleted (a `reset` with reason `deleted` came just before).
 * - `until`: the reader asked for entries up to a time (`?until=`) and has them all; nothing more will come.
 */
export const CLOSE_REASONS = {
  overflow: { retryable: true },
  shutdown: { retryable: true },
  stalled: { retryable: true },
  busy: { retryable: true },
  unavailable: { retryable: true },
  unauthorized: { retryable: false },
  forbidden: { retryable: false },
  ended: { retryable: false },
  deleted: { retryable: false },
  until: { retryable: false },
} as const satisfies Record<string, { retryable: boolean }>;

export type CloseReason = keyof typeof CLOSE_REASONS;

/** True when a reader should reconnect after the server ended its stream for `reason`. */
export function isRetryableClose(reason: string): boolean {
  return Object.hasOwn(CLOSE_REASONS, reason) ? CLOSE_REASONS[reason as CloseReason].retryable : true;
}
