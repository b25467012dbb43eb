import type { HistoryPage, LogEntry } from '@livelog/protocol';
import { type ApiTarget, type AroundAnswer, getApiJson } from './api-json.js';
import { describeError } from './describe-error.js';

/** Lines asked for on each side of the line whose context is shown, and added by "more". */
export const CONTEXT_LINES = 20;

/**
 * "Show context" on a line: the lines written just before and after it, unfiltered
 * (`GET /api/logs?around=<id>`), in a panel over the view, that line highlighted. More on either
 * side load on request.
 */
export class ContextView {
  /** The line whose context is shown; undefined while the panel is closed. */
  anchor: LogEntry | undefined;
  entries: LogEntry[] = [];
  hasBefore = false;
  hasAfter = false;
  loading = false;
  error: string | undefined;
  #request = 0;
  readonly #changed: () => void;

  constructor(changed: () => void) {
    this.#changed = changed;
  }

  get open(): boolean {
    return this.anchor !== undefined;
  }

  show(target: ApiTarget, entry: LogEntry): Promise<void> {
    this.anchor = entry;
    this.entries = [];
    return this.#load(target);
  }

  /**
   * Loads `CONTEXT_LINES` more on one side: the history page before the first line shown (after the
   * last), unfiltered. Not `around` with larger counts: the server bounds each side of it by size
   * (about 4 MiB), so with large lines a larger count answered the same lines again and the button
   * did nothing.
   */
  async more(target: ApiTarget, side: 'before' | 'after'): Promise<void> {
    const edge = side === 'before' ? this.entries[0] : this.entries.at(-1);
    if (this.anchor === undefined || edge === undefined) return;
    const request = ++this.#request;
    this.loading = true;
    this.error = undefined;
    this.#changed();
    const params = new URLSearchParams({ [side]: edge.id, limit: String(CONTEXT_LINES) });
    try {
      const page = await getApiJson<HistoryPage>(target, 'logs', params);
      if (request !== this.#request) return;
      // Lines after the last one shown that retention removed meanwhile: the page would not join on.
      if (page.gap !== undefined) this.hasAfter = false;
      else if (side === 'before') {
        this.entries = page.entries.concat(this.entries);
        this.hasBefore = page.hasMore;
      } else {
        this.entries = this.entries.concat(page.entries);
        this.hasAfter = page.hasMore;
      }
    } catch (error) {
      if (request === this.#request) this.error = `could not load more lines around ${this.anchor?.id}: ${describeError(error)}`;
    } finally {
      if (request === this.#request) {
        this.loading = false;
        this.#changed();
      }
    }
  }

  close(): void {
    this.#request++;
    this.anchor = undefined;
    this.entries = [];
    this.error = undefined;
    this.loading = false;
    this.#changed();
  }

  async #load(target: ApiTarget): Promise<void> {
    const anchor = this.anchor;
    if (anchor === undefined) return;
    const request = ++this.#request;
    this.loading = true;
    this.error = undefined;
    this.#changed();
    const params = new URLSearchParams({ around: anchor.id, before: String(CONTEXT_LINES), after: String(CONTEXT_LINES) });
    try {
      const answer = await getApiJson<AroundAnswer>(target, 'logs', params);
      if (request !== this.#request) return;
      this.entries = answer.entries;
      this.hasBefore = answer.hasBefore;
      this.hasAfter = answer.hasAfter;
    } catch (error) {
      if (request === this.#request) this.error = `could not load the lines around ${anchor.id}: ${describeError(error)}`;
    } finally {
      if (request === this.#request) {
        this.loading = false;
        this.#changed();
      }
    }
  }
}
