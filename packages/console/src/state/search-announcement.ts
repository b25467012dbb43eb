import { dispatchConsoleEvent } from '../console-events.js';
import type { FilterState } from './line-filter.js';
import type { TimeRange } from './time-range.js';

/**
 * The query and range a console last announced in `livelog-search`, so a page can keep them in its
 * URL. Kept as said, so the page echoing the query back as the attribute is not taken for a new one.
 */
export class SearchAnnouncement {
  readonly #target: EventTarget;
  readonly #current: () => { filter: FilterState; range: TimeRange };
  #announced = '';

  /** `current` is what the console shows now; events are dispatched on `target`. */
  constructor(target: EventTarget, current: () => { filter: FilterState; range: TimeRange }) {
    this.#target = target;
    this.#current = current;
  }

  /** The query last announced ('' before any, or for a regex or inverted search: those are not a query). */
  get query(): string {
    return (JSON.parse(this.#announced || '[""]') as string[])[0] ?? '';
  }

  /** Takes what is shown now as known to the page (it came from the page's attributes): nothing to announce. */
  settle(): void {
    this.#announced = this.#key();
  }

  /** Says when the query or the range changed since the last announcement. */
  announce(): void {
    const key = this.#key();
    if (key === this.#announced) return;
    this.#announced = key;
    const [query, since, until] = JSON.parse(key) as [string, string, string];
    dispatchConsoleEvent(this.#target, 'livelog-search', { query, ...(since ? { since } : {}), ...(until ? { until } : {}) });
  }

  #key(): string {
    const { filter, range } = this.#current();
    const { text, regex, invert } = filter;
    return JSON.stringify([regex || invert ? '' : text, range.since ?? '', range.until ?? '']);
  }
}
