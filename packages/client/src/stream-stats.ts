/**
 * What a stream saw, for dashboards and for proving the guarantee at the edge. `duplicates`,
 * `outOfOrder` and `missing` count protocol violations and should stay 0 against a livelog server.
 */
export interface StreamStats {
  /** Entries delivered to listeners. */
  entries: number;
  /** `entries` events emitted (one per received chunk, or fewer). */
  batches: number;
  /** Bytes of response bodies received. */
  bytes: number;
  /** Connection attempts, the first one included. */
  attempts: number;
  /** Connections that reached `hello` after the first one did: successful reconnects. */
  reconnects: number;
  /** `gap` events: ranges retention removed before this reader got them. */
  gaps: number;
  /** Entries those gaps named as missing. */
  missedInGaps: number;
  /** `reset` events: the position was malformed, foreign or in the future. */
  resets: number;
  /** Entries at the position already delivered (same seq as the previous one); dropped. */
  duplicates: number;
  /** Entries before the position already delivered; dropped. */
  outOfOrder: number;
  /** Entries skipped without a gap report, on unfiltered streams (where every seq must arrive). */
  missing: number;
  /** Events whose data was not what livelog sends, skipped after three tries at the same position. */
  malformed: number;
  /** Watchdog expiries: connections declared dead for silence. */
  watchdogTimeouts: number;
  /** Time from losing a connection to the `hello` of the next one, in ms: last, max and mean. */
  lastResumeMs: number | undefined;
  maxResumeMs: number | undefined;
  meanResumeMs: number | undefined;
  /** The position the stream would resume from. */
  lastEventId: string;
  /** `single`: own connection; `leader`: own connection shared with other tabs; `follower`: fed by a leader tab. */
  role: 'single' | 'leader' | 'follower';
}

/** Mutable counters behind StreamStats. */
export class StatsCounter {
  entries = 0;
  batches = 0;
  bytes = 0;
  attempts = 0;
  reconnects = 0;
  gaps = 0;
  missedInGaps = 0;
  resets = 0;
  duplicates = 0;
  outOfOrder = 0;
  missing = 0;
  malformed = 0;
  watchdogTimeouts = 0;
  #resumeCount = 0;
  #resumeTotal = 0;
  #resumeLast: number | undefined;
  #resumeMax: number | undefined;

  resumed(ms: number): void {
    this.reconnects++;
    this.#resumeCount++;
    this.#resumeTotal += ms;
    this.#resumeLast = ms;
    this.#resumeMax = Math.max(this.#resumeMax ?? 0, ms);
  }

  snapshot(lastEventId: string, role: StreamStats['role']): StreamStats {
    return {
      entries: this.entries,
      batches: this.batches,
      bytes: this.bytes,
      attempts: this.attempts,
      reconnects: this.reconnects,
      gaps: this.gaps,
      missedInGaps: this.missedInGaps,
      resets: this.resets,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
      missing: this.missing,
      malformed: this.malformed,
      watchdogTimeouts: this.watchdogTimeouts,
      lastResumeMs: this.#resumeLast,
      maxResumeMs: this.#resumeMax,
      meanResumeMs: this.#resumeCount === 0 ? undefined : this.#resumeTotal / this.#resumeCount,
      lastEventId,
      role,
    };
  }
}
