import { type CursorStorage, createCursorStorage } from '@livelog/client';
import type { ConsoleStats } from '../console-events.js';
import { createHighlighter, type Highlighter } from '../render/highlight.js';
import type { ApiTarget } from './api-json.js';
import { enteredToken } from './entered-token.js';
import { HistorySearch } from './history-search.js';
import { compileFilter, EMPTY_FILTER, type FilterState, type ServerFilter, serverFilterOf } from './line-filter.js';
import { LogModel, type ModelEvents } from './log-model.js';
import { ALL_TIME, sameRange, type TimeRange } from './time-range.js';

/** Which server to show, and how. */
export interface ConnectOptions {
  url: string;
  token?: string;
  /** The named stream to show; the server's `default` stream when absent. */
  stream?: string;
  maxLines: number;
  tail: number;
  /** Resume from the cursor a reloaded page stored, if any (false when a permalink decides the place). */
  resume: boolean;
}

/** What a ConsoleSession reports: its model's events, and a token entered in the prompt. */
export interface SessionEvents extends ModelEvents {
  /** A token was entered in the prompt (kept by `enteredToken`) and the session connected with it. */
  tokenEntered?(): void;
}

/**
 * The data side of one `<livelog-console>`: the LogModel of the server it shows, and the filter and
 * the highlight terms it applies. It outlives any one model: a new `src` or `token` connects a new
 * model under the same filter. The model reports straight to the element (`events`).
 */
export class ConsoleSession {
  model: LogModel | undefined;
  readonly #events: SessionEvents;
  #filter: FilterState = EMPTY_FILTER;
  #range: TimeRange = ALL_TIME;
  #filterError: string | undefined;
  #highlight = '';
  #highlighter: Highlighter = createHighlighter(undefined, '');
  #filterTimer: ReturnType<typeof setTimeout> | undefined;
  #options: ConnectOptions | undefined;
  #hasToken = false;
  #token: string | undefined;
  /** "Search the whole history", when no loaded line matches the filter. */
  readonly historySearch: HistorySearch;

  constructor(events: SessionEvents) {
    this.#events = events;
    this.historySearch = new HistorySearch(() => events.changed());
  }

  get filter(): FilterState {
    return this.#filter;
  }

  /** The time range shown (`since`/`until` as the server takes them); empty: all of it. */
  get range(): TimeRange {
    return this.#range;
  }

  /** Shows another time range: the lines of it, from the server. */
  setRange(range: TimeRange): void {
    if (sameRange(range, this.#range)) return;
    this.#range = { ...(range.since ? { since: range.since } : {}), ...(range.until ? { until: range.until } : {}) };
    this.historySearch.cancel();
    this.model?.setFilter(serverFilterOf(this.#filter, this.#range), this.#compile().match);
    this.#events.changed();
  }

  /** The URL of the server shown (`src`, as given). */
  get url(): string {
    return this.#options?.url ?? '.';
  }

  /** The named stream shown; undefined: `default`. */
  get stream(): string | undefined {
    return this.#options?.stream || undefined;
  }

  /** Where requests besides the stream and history go (histogram, seek, context). */
  get target(): ApiTarget {
    return { url: this.url, stream: this.stream, token: this.#token };
  }

  /** The server filter of what is shown: level, sources, query and time range. */
  get serverFilter(): ServerFilter {
    return serverFilterOf(this.#filter, this.#range);
  }

  /** A token is sent (from the `token` attribute or the prompt). */
  get hasToken(): boolean {
    return this.#hasToken;
  }

  /**
   * Why the text filter is not valid, if it is not: the regular expression's error, or the query's
   * (its position, from the query parser or from the server's 400 LIVELOG_ERR_BAD_QUERY).
   */
  get filterError(): string | undefined {
    return this.#filterError ?? this.model?.queryError;
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

  /**
   * Shows `options.url` with the current filter, replacing any model shown before. Without a `token`
   * option, a token entered in the console's prompt for this server (kept in `sessionStorage`) is used.
   */
  connect(options: ConnectOptions): LogModel {
    this.model?.stop();
    this.historySearch.cancel();
    this.#options = options;
    const token = options.token || enteredToken(options.url)?.get();
    this.#hasToken = Boolean(token);
    this.#token = token || undefined;
    const server = {
      url: options.url,
      ...(token ? { token } : {}),
      ...(options.stream ? { stream: options.stream } : {}),
    };
    const model = new LogModel(server, this.#events, {
      maxLines: options.maxLines,
      tail: options.tail,
      cursor: consoleCursor(options.url, options.stream),
    });
    this.model = model;
    const compiled = this.#compile();
    model.start(serverFilterOf(this.#filter, this.#range), compiled.match, options.resume);
    void model.sources.refresh();
    return model;
  }

  /**
   * Connects again with `token`, entered in the console's prompt: kept in `sessionStorage` (this tab,
   * this server) so a reload does not ask again, and never written to an attribute of the page.
   */
  useToken(token: string): void {
    const options = this.#options;
    if (options === undefined) return;
    enteredToken(options.url)?.set(token);
    this.connect({ ...options, token, resume: false });
    this.#events.tokenEntered?.();
  }

  /** Shows every line again (the empty state's "Clear the filter"). */
  clearFilter(): void {
    this.setFilter(EMPTY_FILTER);
  }

  /** Pages back through history until a line matches the filter (the empty state's offer). */
  searchHistory(): void {
    if (this.model) void this.historySearch.start(this.model);
  }

  cancelSearch(): void {
    this.historySearch.cancel();
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
      this.historySearch.cancel();
      const compiled = this.#compile();
      this.model?.setFilter(serverFilterOf(this.#filter, this.#range), compiled.match);
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
    const kind = this.#filter.regex ? 'Invalid regular expression' : 'Invalid query';
    this.#filterError = compiled.error === undefined ? undefined : `${kind}: ${compiled.error}`;
    this.#highlighter = createHighlighter(compiled.pattern, this.#highlight);
    return compiled;
  }
}

/**
 * Where a console keeps the position it resumes from after a page reload: `sessionStorage`, per tab
 * (a reload resumes, a new tab starts at the tail) and per server, by absolute URL (a relative `src`
 * such as `.` names another server under each base path). Not the client's `persist` option: that
 * starts every stream at the stored cursor, whereas the console also opens streams at a tail, a
 * permalink or a filter change. Each named stream has its own key: switching streams and back, or
 * reloading either, resumes each where it was (the `default` stream keeps the key it always had).
 */
function consoleCursor(src: string, stream: string | undefined): CursorStorage | undefined {
  try {
    const server = new URL(src, location.href).href;
    return createCursorStorage({ key: `livelog-console:cursor:${server}${stream ? `#stream=${stream}` : ''}` });
  } catch {
    // An unparsable `src` cannot connect either; resuming after a reload is a convenience.
    return undefined;
  }
}
