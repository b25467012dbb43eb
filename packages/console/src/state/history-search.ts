import type { LogBuffer } from './log-buffer.js';
import type { LogModel } from './log-model.js';

/** True when at least one loaded line passes the local filter (gap markers do not count). */
export function showsAnyLine(buffer: LogBuffer): boolean {
  return buffer.rows.some((row) => row.kind === 'entry');
}

/**
 * "Search the whole history" after no loaded line matched: pages back through older lines (the
 * server runs the level, source and plain-text parts of the filter, the console a regex or an inverted
 * search) until one matches or the beginning of the retained log is reached. The model holds at most
 * `max-lines` lines, so a long search slides a window back through history instead of growing.
 */
export class HistorySearch {
  /** While a search runs: the seq of the oldest line it reached, for its progress label. */
  reached: number | undefined;
  #run = 0;
  readonly #changed: () => void;

  constructor(changed: () => void) {
    this.#changed = changed;
  }

  async start(model: LogModel): Promise<void> {
    const run = ++this.#run;
    this.reached = model.buffer.first?.seq ?? 0;
    this.#changed();
    try {
      while (run === this.#run && model.olderAvailable && !showsAnyLine(model.buffer)) {
        const before = model.buffer.first?.seq;
        if (model.loadingOlder) {
          // A page the view itself asked for (scrolled to the top) is on its way: wait for it.
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        await model.loadOlder();
        // A failed page (the model says why in its notice) or nothing older: stop rather than spin.
        if (model.buffer.first?.seq === before) break;
        if (run === this.#run) this.reached = model.buffer.first?.seq;
        this.#changed();
      }
    } finally {
      if (run === this.#run) this.reached = undefined;
      this.#changed();
    }
  }

  cancel(): void {
    this.#run++;
    this.reached = undefined;
    this.#changed();
  }
}
