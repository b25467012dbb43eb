import type { LogEntry } from '@livelog/protocol';
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
  #before = CONTEXT_LINES;
  #after = CONTEXT_LINES;
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
    this.#before = CONTEXT_LINES;
    this.#after = CONTEXT_LINES;
    return this.#load(target);
  }

  /** Loads `CONTEXT_LINES` more on one side. */
  more(target: ApiTarget, side: 'before' | 'after'): Promise<void> {
    if (side === 'before') this.#before = Math.min(1000, this.#before + CONTEXT_LINES);
    else this.#after = Math.min(1000, this.#after + CONTEXT_LINES);
    return this.#load(target);
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
    const params = new URLSearchParams({ around: anchor.id, before: String(this.#before), after: String(this.#after) });
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
