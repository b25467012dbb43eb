import type { ApiTarget, SeekAnswer } from './api-json.js';
import { getApiJson } from './api-json.js';
import { ContextView } from './context-view.js';
import { describeError } from './describe-error.js';
import { HistogramData } from './histogram-data.js';
import type { ServerFilter } from './line-filter.js';

/** A histogram "until now" is asked for again this often, so its start moves with a relative range. */
const REFRESH_MS = 60_000;

/** What the search parts need from the element. */
export interface SearchHost {
  changed(): void;
  /** Shows the lines around `id` (a permalink jump). */
  jumpTo(id: string): Promise<boolean>;
}

/**
 * The search side of a console besides the filter: the volume histogram, the brush on it, "jump to
 * time" (`GET /api/seek`) and the context panel.
 */
export class SearchView {
  readonly histogram: HistogramData;
  readonly context: ContextView;
  /** The brush being dragged on the histogram, as fractions of its width, and where it started (px); undefined when none. */
  brush: { from: number; to: number; x: number } | undefined;
  /** Why the last jump to a time failed. */
  seekError: string | undefined;
  readonly #host: SearchHost;
  #loadedAt = 0;

  constructor(host: SearchHost) {
    this.#host = host;
    this.histogram = new HistogramData(() => host.changed());
    this.context = new ContextView(() => host.changed());
  }

  /** Keeps the histogram that of `filter` (asks only when it changed, or every minute for a live range). */
  refresh(target: ApiTarget, filter: ServerFilter, newest: () => number | undefined, now = Date.now()): void {
    // Live lines are counted in after the answer by seq: until the stream's hello names the newest seq,
    // the lines of its catch-up could not be told from new ones (and would count twice).
    if (filter.until === undefined && newest() === undefined) return;
    const stale = filter.until === undefined && now - this.#loadedAt > REFRESH_MS;
    if (this.histogram.load(target, filter, newest, stale)) this.#loadedAt = now;
  }

  /** Shows the first line at or after `time`. */
  async seek(target: ApiTarget, time: number): Promise<void> {
    this.seekError = undefined;
    try {
      const found = await getApiJson<SeekAnswer>(target, 'seek', new URLSearchParams({ time: String(Math.round(time)) }));
      await this.#host.jumpTo(found.id);
    } catch (error) {
      this.seekError = `could not jump to ${new Date(time).toISOString()}: ${describeError(error)}`;
      this.#host.changed();
    }
  }
}
