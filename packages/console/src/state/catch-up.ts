import type { LogEntry } from '@livelog/protocol';

/** What changed when the stream's position moved. */
export interface CatchUpProgress {
  /** The lag just reached 0: the state line goes back to "Live". */
  caughtUp: boolean;
  /** A resume just completed, having delivered this many lines written while the reader was away. */
  recovered: number | undefined;
}

/**
 * How far a resuming reader is from the head, and what its resume brought back.
 *
 * Lag: the head the server named in its last `lag` event less the position reached since, counted down
 * locally because the server reports at most once a second and a fast replay ends between two reports.
 * Recovery: after a reconnect (or a reload that resumes), the lines up to the head the `hello` named are
 * the ones written while the reader was away; the resume is complete once the position reaches it.
 */
export class CatchUp {
  /** Entries behind the head while catching up; 0 otherwise. */
  lag = 0;
  /** Lines delivered by the last completed resume, and when it completed. */
  recovered: { count: number; at: number } | undefined;
  #lagHead: number | undefined;
  #resumePending = false;
  #recovery: { target: number; count: number } | undefined;

  /** The connection is being re-established (or a reload resumes): the next `hello` starts a recovery. */
  expectResume(): void {
    this.#resumePending = true;
    this.#recovery = undefined;
    this.recovered = undefined;
    this.lag = 0;
    this.#lagHead = undefined;
  }

  /** Forgets everything (a new query from the tail). */
  reset(): void {
    this.#resumePending = false;
    this.#recovery = undefined;
    this.lag = 0;
    this.#lagHead = undefined;
  }

  /** The stream said hello; `last` is the head at that moment. */
  hello(last: number, position: number | undefined): CatchUpProgress {
    if (this.#resumePending) {
      this.#resumePending = false;
      this.#recovery = { target: last, count: 0 };
    }
    return this.progress(position);
  }

  /** The server reported the reader `behind` entries behind while at `position`. */
  lagReported(behind: number, position: number | undefined): CatchUpProgress {
    this.#lagHead = behind > 0 && position !== undefined ? position + behind : undefined;
    this.lag = this.#lagHead === undefined ? 0 : behind;
    return this.progress(position);
  }

  /** Entries arrived from the stream. */
  delivered(batch: readonly LogEntry[]): void {
    const recovery = this.#recovery;
    if (recovery !== undefined) for (const entry of batch) if (entry.seq <= recovery.target) recovery.count++;
  }

  /** The stream's position moved to `position` (entries or id-only progress). */
  progress(position: number | undefined): CatchUpProgress {
    const result: CatchUpProgress = { caughtUp: false, recovered: undefined };
    if (this.#lagHead !== undefined) {
      this.lag = Math.max(0, this.#lagHead - (position ?? 0));
      if (this.lag === 0) {
        this.#lagHead = undefined;
        result.caughtUp = true;
      }
    }
    const recovery = this.#recovery;
    if (recovery !== undefined && (position ?? -1) >= recovery.target) {
      this.#recovery = undefined;
      this.recovered = { count: recovery.count, at: Date.now() };
      result.recovered = recovery.count;
    }
    return result;
  }
}
