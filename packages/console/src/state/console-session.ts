import { type CursorStorage, createCursorStorage } from '@livelog/client';
import type { ConsoleStats } from '../console-events.js';
import { createHighlighter, type Highlighter } from '../render/highlight.js';
import { compileFilter, EMPTY_FILTER, type FilterState, serverFilterOf } from './line-filter.js';
import { LogModel, type ModelEvents } from './log-model.js';

/** Which server to show, and how. */
export interface ConnectOptions {
  url: string;
  token?: string;
  maxLines: number;
  tail: number;
  /** Resume from the cursor a reloaded page stored, if any (false when a permalink decides the place). */
  resume: boolean;
}

/**
 * The data side of one `<livelog-console>`: the LogModel of the server it shows, and the filter and
 * the highlight terms it applies. It outlives any one model: a new `src` or `token` connects a new
 * model under the same filter. The model reports straight to the element (`events`).
 */
export class ConsoleSession {
  model: LogModel | undefined;
  readonly #events: ModelEvents;
  #filter: FilterState = EMPTY_FILTER;
  #filterError: string | undefined;
  #highlight = '';
  #highlighter: Highlighter = createHighlighter(undefined, '');
  #filterTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(events: ModelEvents) {
    this.#events = events;
  }

  get filter(): FilterState {
    return this.#filter;
  }

  /** Why the text filter is not a valid regular expression, if it is not. */
  get filterError(): string | undefined {
    return this.#filterError;
  }

  get highlight(): string {
    return this.#highlight;
  }

  get highlighter(): Highlighter {
    return this.#highlighter;
  }

  /** Counters for dashboards and tests. */
  stats(): ConsoleStats {
    const model = this.model;
    return {
      loaded: model?.buffer.size ?? 0,
      shown: model?.buffer.rows.length ?? 0,
      received: model?.received ?? 0,
      rejected: model?.buffer.rejected ?? 0,
      rate: model?.rate() ?? 0,
      mode: model?.mode ?? 'live',
      sources: model?.sources.summaries() ?? [],
    };
  }

  /** Shows `options.url` with the current filter, replacing any model shown before. */
  connect(options: ConnectOptions): LogModel {
    this.model?.stop();
    const model = new LogModel({ url: options.url, ...(options.token ? { token: options.token } : {}) }, this.#events, {
      maxLines: options.maxLines,
      tail: options.tail,
      cursor: consoleCursor(options.url),
    });
    this.model = model;
    const compiled = this.#compile();
    model.start(serverFilterOf(this.#filter), compiled.match, options.resume);
    void model.sources.refresh();
    return model;
  }

  disconnect(): void {
    clearTimeout(this.#filterTimer);
    this.model?.stop();
    this.model = undefined;
  }

  /** Changes part of the filter; text typed into the search box waits `debounceMs` for the next key. */
  setFilter(change: Partial<FilterState>, debounceMs = 0): void {
    this.#filter = { ...this.#filter, ...change };
    clearTimeout(this.#filterTimer);
    const apply = (): void => {
      const compiled = this.#compile();
      this.model?.setFilter(serverFilterOf(this.#filter), compiled.match);
      this.#events.changed();
    };
    if (debounceMs > 0) {
      this.#filterTimer = setTimeout(apply, debounceMs);
      this.#events.changed();
    } else apply();
  }

  /** Colors matches of these comma-separated terms without filtering. */
  setHighlight(terms: string): void {
    this.#highlight = terms;
    this.#highlighter = createHighlighter(compileFilter(this.#filter).pattern, terms);
    this.#events.changed();
  }

  #compile(): ReturnType<typeof compileFilter> {
    const compiled = compileFilter(this.#filter);
    this.#filterError = compiled.error;
    this.#highlighter = createHighlighter(compiled.pattern, this.#highlight);
    return compiled;
  }
}

/**
 * Where a console keeps the position it resumes from after a page reload: `sessionStorage`, per tab
 * (a reload resumes, a new tab starts at the tail) and per server, by absolute URL (a relative `src`
 * such as `.` names another server under each base path). Not the client's `persist` option: that
 * starts every stream at the stored cursor, whereas the console also opens streams at a tail, a
 * permalink or a filter change.
 */
function consoleCursor(src: string): CursorStorage | undefined {
  try {
    return createCursorStorage({ key: `livelog-console:cursor:${new URL(src, location.href).href}` });
  } catch {
    // An unparsable `src` cannot connect either; resuming after a reload is a convenience.
    return undefined;
  }
}
