import type { GapEvent } from '@livelog/protocol';
import type { ConsoleStats, LivelogStatusDetail } from '../console-events.js';
import { createHighlighter, type Highlighter } from '../render/highlight.js';
import { createLogSource } from './create-log-source.js';
import { sessionCursorMemory } from './cursor-memory.js';
import { compileFilter, EMPTY_FILTER, type FilterState, serverFilterOf } from './line-filter.js';
import { LogModel } from './log-model.js';

/** What a session tells the element that shows it. */
export interface SessionEvents {
  /** Something shown changed. Called once per batch: the element coalesces renders. */
  changed(): void;
  /** `count` lines that pass the filter were just appended (for the "N new lines" pill). */
  appended(count: number): void;
  /** The state line changed: connection, catch-up progress, a completed resume. */
  status(detail: LivelogStatusDetail): void;
  gap(gap: GapEvent): void;
  /** A resume delivered every line written while the reader was away. */
  recovered(count: number): void;
}

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
 * The data side of one `<livelog-console>`: the LogModel of the server it shows, the filter and the
 * highlight terms it applies, and the cursor it keeps so a reload resumes. It outlives any one model:
 * a new `src` or `token` connects a new model under the same filter.
 */
export class ConsoleSession {
  model: LogModel | undefined;
  /** When the next reconnect attempt is due (ms since the epoch), while waiting for one. */
  retryAt: number | undefined;
  readonly #events: SessionEvents;
  #filter: FilterState = EMPTY_FILTER;
  #filterError: string | undefined;
  #highlight = '';
  #highlighter: Highlighter = createHighlighter(undefined, '');
  #filterTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(events: SessionEvents) {
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
    const memory = sessionCursorMemory(options.url);
    const model = new LogModel(
      createLogSource({ url: options.url, ...(options.token ? { token: options.token } : {}) }),
      {
        changed: () => this.#events.changed(),
        appended: (count) => this.#events.appended(count),
        status: (status) => {
          this.retryAt = status.nextRetryMs === undefined ? undefined : Date.now() + status.nextRetryMs;
          this.#emitStatus();
        },
        gap: (gap) => this.#events.gap(gap),
        recovered: (count) => {
          this.#events.recovered(count);
          this.#emitStatus();
        },
        cursor: (lastEventId) => memory.save(lastEventId),
      },
      { maxLines: options.maxLines, tail: options.tail },
    );
    this.model = model;
    const compiled = this.#compile();
    model.start(serverFilterOf(this.#filter), compiled.match, options.resume ? memory.load() : undefined);
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

  #emitStatus(): void {
    const model = this.model;
    if (model === undefined) return;
    const detail: LivelogStatusDetail = { ...model.status, lag: model.lag, mode: model.mode };
    if (model.recovered !== undefined) detail.recovered = model.recovered.count;
    this.#events.status(detail);
  }
}
