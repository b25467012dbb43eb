import type { StreamStatus } from '@livelog/client';
import type { EndInfo, LogEntry } from '@livelog/protocol';
import type { LivelogStatusDetail } from '../console-events.js';

/** Connection state as the console shows it. */
export interface ConnectionStatus {
  /** `ended`: the stream was ended by its writer (`end`): every line is shown and nothing more comes. */
  state: 'connecting' | 'live' | 'reconnecting' | 'closed' | 'failed' | 'ended';
  /** Reconnect attempts since the last healthy connection. */
  attempt: number;
  /** When reconnecting: ms until the next try. */
  nextRetryMs?: number;
  /** Why the connection failed or was closed, when known. */
  reason?: string;
  /** When `ended`: the writer's exit code and reason. */
  end?: EndInfo;
}

/** What the state line tells the element when it changes. */
export interface StatusEvents {
  /** The state line changed: connection, catch-up progress, a completed resume. */
  status(detail: LivelogStatusDetail): void;
  /** A resume finished: `count` lines written while the reader was away were delivered. */
  recovered(count: number): void;
}

/**
 * What the state line says about the stream: the connection, how far a resuming reader is from the
 * head, and what its resume brought back.
 *
 * Lag: the head the server named in its last `lag` event less the position reached since, counted down
 * locally because the server reports at most once a second and a fast replay ends between two reports.
 * Recovery: after a reconnect (or a reload that resumes), the lines up to the head the `hello` named are
 * the ones written while the reader was away; the resume is complete once the position reaches it.
 * Every change is told to `events`, as `livelog-status` and `livelog-recovered` tell it to hosts.
 */
export class StatusLine {
  connection: ConnectionStatus = { state: 'connecting', attempt: 0 };
  /** When the next reconnect attempt is due (ms since the epoch), while waiting for one. */
  retryAt: number | undefined;
  /** Entries behind the head while catching up; 0 otherwise. */
  lag = 0;
  /** Lines delivered by the last completed resume, and when it completed. */
  recovered: { count: number; at: number } | undefined;
  #lagHead: number | undefined;
  #resumePending = false;
  #recovery: { target: number; count: number } | undefined;
  readonly #events: StatusEvents;
  readonly #mode: () => LivelogStatusDetail['mode'];

  /** `mode` tells whether the view is live or a window of history. */
  constructor(events: StatusEvents, mode: () => LivelogStatusDetail['mode']) {
    this.#events = events;
    this.#mode = mode;
  }

  /** The stream's status changed; `everOpened`: it said hello before, so a new attempt is a reconnect. */
  connectionChanged(status: StreamStatus, everOpened: boolean): void {
    // The stream closes itself after its end: that close is the end, not a lost connection.
    if (this.connection.state === 'ended' && status.state === 'closed' && status.error === undefined) return;
    this.connection = connectionStatus(status, everOpened);
    if (this.connection.state === 'reconnecting') this.expectResume();
    const next = this.connection.nextRetryMs;
    this.retryAt = next === undefined ? undefined : Date.now() + next;
    this.#emit();
  }

  /** The connection is being re-established (or a reload resumes): the next `hello` starts a recovery. */
  expectResume(): void {
    this.#resumePending = true;
    this.#recovery = undefined;
    this.recovered = undefined;
    this.lag = 0;
    this.#lagHead = undefined;
  }

  /** The stream ended: every line before the end was delivered. */
  ended(end: EndInfo): void {
    this.connection = { state: 'ended', attempt: 0, end };
    this.retryAt = undefined;
    this.lag = 0;
    this.#lagHead = undefined;
    this.#emit();
  }

  /** Forgets the catch-up (a new query from the tail). */
  reset(): void {
    if (this.connection.state === 'ended') this.connection = { state: 'connecting', attempt: 0 };
    this.#resumePending = false;
    this.#recovery = undefined;
    this.lag = 0;
    this.#lagHead = undefined;
  }

  /** The stream said hello; `last` is the head at that moment. */
  hello(last: number, position: number | undefined): void {
    if (this.#resumePending) {
      this.#resumePending = false;
      this.#recovery = { target: last, count: 0 };
    }
    this.progress(position);
  }

  /** The server reported the reader `behind` entries behind while at `position`. */
  lagReported(behind: number, position: number | undefined): void {
    this.#lagHead = behind > 0 && position !== undefined ? position + behind : undefined;
    this.lag = this.#lagHead === undefined ? 0 : behind;
    this.progress(position);
    // Hosts see the catch-up in `livelog-status`, as they see every other change of the state line.
    this.#emit();
  }

  /** Entries arrived from the stream. */
  delivered(batch: readonly LogEntry[]): void {
    const recovery = this.#recovery;
    if (recovery !== undefined) for (const entry of batch) if (entry.seq <= recovery.target) recovery.count++;
  }

  /** The stream's position moved to `position` (entries or id-only progress). */
  progress(position: number | undefined): void {
    let caughtUp = false;
    if (this.#lagHead !== undefined) {
      this.lag = Math.max(0, this.#lagHead - (position ?? 0));
      if (this.lag === 0) {
        this.#lagHead = undefined;
        caughtUp = true;
      }
    }
    const recovery = this.#recovery;
    if (recovery !== undefined && (position ?? -1) >= recovery.target) {
      this.#recovery = undefined;
      this.recovered = { count: recovery.count, at: Date.now() };
      this.#events.recovered(recovery.count);
      this.#emit();
    }
    // The lag reaching 0 puts the state line back to "Live".
    if (caughtUp) this.#emit();
  }

  #emit(): void {
    const detail: LivelogStatusDetail = { ...this.connection, lag: this.lag, mode: this.#mode() };
    if (this.recovered !== undefined) detail.recovered = this.recovered.count;
    this.#events.status(detail);
  }
}

/** The client's states in the console's words: after the stream's first `hello`, any new attempt is a reconnect. */
function connectionStatus(status: StreamStatus, everOpened: boolean): ConnectionStatus {
  switch (status.state) {
    case 'open':
      return { state: 'live', attempt: 0 };
    case 'connecting':
      return everOpened || status.attempt > 0
        ? { state: 'reconnecting', attempt: Math.max(1, status.attempt) }
        : { state: 'connecting', attempt: 0 };
    case 'waiting':
      return {
        state: 'reconnecting',
        attempt: status.attempt + 1,
        ...(status.nextRetryMs === undefined ? {} : { nextRetryMs: status.nextRetryMs }),
        ...(status.error ? { reason: status.error.message } : {}),
      };
    case 'closed':
      return status.error
        ? { state: 'failed', attempt: status.attempt, reason: status.error.message }
        : { state: 'closed', attempt: status.attempt };
  }
}
