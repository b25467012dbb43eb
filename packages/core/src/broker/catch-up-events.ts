import { EVENT_NAMES, type GapEvent, type LagEvent } from '@livelog/protocol';
import { encodeEvent } from '../sse/encode-event.js';

/**
 * The `gap` event for a reader whose next entries up to `toSeq` were removed by retention (its
 * cursor at `cursor`), and how many it missed. `id` formats a seq as the stream's frame id.
 */
export function gapEvent(id: (seq: number) => string, cursor: number, toSeq: number): { text: string; missed: number } {
  const gap = retentionGap(id, cursor, toSeq);
  return { text: encodeEvent({ event: EVENT_NAMES.gap, id: gap.resumeAt, data: JSON.stringify(gap) }), missed: gap.missed };
}

/**
 * The entries `cursor + 1..toSeq` removed by retention, as the stream's `gap` event and a history
 * page's `gap` field both name them. `id` formats a seq as the stream's id.
 */
export function retentionGap(id: (seq: number) => string, cursor: number, toSeq: number): GapEvent {
  const fromSeq = cursor + 1;
  return { after: id(cursor), resumeAt: id(toSeq), missed: toSeq - fromSeq + 1, fromSeq, toSeq, reason: 'retention' };
}

/**
 * One reader's `lag` events: `{behind}` while it is at least `threshold` entries behind, at most every
 * `intervalMs`; then `{behind: 0}` once, when it caught up after one of them.
 */
export class LagNotices {
  readonly #threshold: number;
  readonly #intervalMs: number;
  #announced = false;
  #lastAt = 0;

  constructor(threshold: number, intervalMs: number) {
    this.#threshold = threshold;
    this.#intervalMs = intervalMs;
  }

  /** The event to send with a write that leaves the reader `behind` entries behind, or ''. */
  behind(behind: number): string {
    const now = Date.now();
    if (behind < this.#threshold || now - this.#lastAt < this.#intervalMs) return '';
    this.#announced = true;
    this.#lastAt = now;
    const lag: LagEvent = { behind };
    return encodeEvent({ event: EVENT_NAMES.lag, data: JSON.stringify(lag) });
  }

  /** `{behind: 0}` when the reader caught up after a lag event, else ''. */
  caughtUp(): string {
    if (!this.#announced) return '';
    this.#announced = false;
    const lag: LagEvent = { behind: 0 };
    return encodeEvent({ event: EVENT_NAMES.lag, data: JSON.stringify(lag) });
  }
}
