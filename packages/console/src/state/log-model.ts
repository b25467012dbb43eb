import { type CursorStorage, fetchHistory, type HistoryPage, isLivelogClientError, type ServerOptions } from '@livelog/client';
import { decodeCursor, type GapEvent, type LogEntry } from '@livelog/protocol';
import { badQueryText, describeError } from './describe-error.js';
import { type HistoryQuery, linesInRange, linesUpTo } from './history-pages.js';
import { isNarrowerOrEqual, type ServerFilter, sameServerFilter } from './line-filter.js';
import { LiveFeed } from './live-feed.js';
import { LogBuffer } from './log-buffer.js';
import { permalinkNotice, permalinkWindow } from './permalink-window.js';
import { SourceList } from './source-list.js';
import { type StatusEvents, StatusLine } from './status-line.js';

/** Lines per history request (the server's most is 1,000). */
const PAGE = 500;

/** What the model tells the element that shows it. The element decides when to re-render. */
export interface ModelEvents extends StatusEvents {
  /** Something shown changed. Called once per batch: the element coalesces renders. */
  changed(): void;
  /** `count` lines matched the local filter among those just appended (for the "N new lines" pill). */
  appended(count: number): void;
  /** Lines the stream delivered (live or catching up), before any filtering here. */
  received?(batch: readonly LogEntry[]): void;
  gap(gap: GapEvent): void;
  /** The stream started over on another log (its position was foreign): what was counted of the old one is void. */
  restarted?(): void;
}

/** How much a model holds and shows, and where it keeps the position a reload resumes from. */
export interface ModelOptions {
  maxLines: number;
  tail: number;
  /** Saved at every `cursor` of the stream: every line up to it is in the buffer (or was skipped by the filter). */
  cursor?: CursorStorage | undefined;
}

/**
 * The console's data: one contiguous, server-filtered stretch of the log in a LogBuffer, fed by
 * @livelog/client's stream and history pages, and how it came to be (its status line).
 *
 * Two modes. `live`: the buffer's newest end is the stream's cursor, so stream entries are appended
 * and a reconnect resumes exactly there. `detached`: the buffer is a window somewhere in history (a
 * permalink, or after paging back past `maxLines`); the stream only counts new lines, and paging
 * forward re-attaches by reopening the stream from the newest loaded id, so no line is skipped.
 * The stream and what it delivers are kept by a LiveFeed; the model pages through history.
 */
export class LogModel {
  readonly buffer = new LogBuffer();
  mode: 'live' | 'detached' = 'live';
  /** More history exists before the oldest loaded line (as far as the last page said). */
  olderAvailable = true;
  /** In detached mode: more exists after the newest loaded line. */
  newerAvailable = false;
  loadingOlder = false;
  loadingNewer = false;
  /** Sources known from the server and from lines seen. */
  readonly sources: SourceList;
  /** The connection, the catch-up and the last resume, as the state line shows them. */
  readonly statusLine: StatusLine;
  /** Entries received from the stream, in total. */
  received = 0;
  /** The last gap the server reported, until the view is reloaded. */
  lastGap: GapEvent | undefined;
  /** A problem to show that is not a connection state (a history request failed, a permalink target is gone). */
  notice: string | undefined;
  maxLines: number;
  tail: number;
  /** The newest seq the server has named (its head at `hello`, or a later line); undefined before the first `hello`. */
  newest: number | undefined;
  /** The server refused the token (or wants one): 401. */
  needsToken = false;
  /** The server code of a 403 that asks for another token (no read scope, or not for this stream). */
  tokenForbidden: string | undefined;
  /** The server refused the query (400 LIVELOG_ERR_BAD_QUERY): its message, naming the position. */
  queryError: string | undefined;

  readonly #server: ServerOptions;
  readonly #events: ModelEvents;
  readonly #cursor: CursorStorage | undefined;
  readonly #feed: LiveFeed;
  #filter: ServerFilter = {};
  #match: (entry: LogEntry) => boolean = () => true;
  /** Bumped on every reload so late answers for an older query are dropped. */
  #generation = 0;

  /** Shows the log of the server `server` names (through @livelog/client); `start` begins. */
  constructor(server: ServerOptions, events: ModelEvents, options: ModelOptions) {
    this.#server = server;
    this.#events = events;
    this.#cursor = options.cursor;
    this.statusLine = new StatusLine(events, () => this.mode);
    this.sources = new SourceList(server, () => events.changed());
    this.maxLines = options.maxLines;
    this.tail = options.tail;
    this.#feed = new LiveFeed(server, events, options.cursor, this, { match: () => this.#match, generation: () => this.#generation });
  }

  /** The server filter the loaded lines were fetched with. */
  get serverFilter(): ServerFilter {
    return this.#filter;
  }

  /** Lines per second written while this reader watches, over the last few seconds (live arrivals only). */
  rate(now = Date.now()): number {
    return this.#feed.rate(now);
  }

  /**
   * Starts showing the live tail with `filter` (the server part) and `match` (the local predicate).
   * With `resume`, when the cursor storage holds a position (a reloaded page), it resumes there
   * instead: the `tail` lines up to and including that id come from history, and the stream
   * continues right after it, so the lines that were on screen are back and every line written
   * meanwhile arrives, each once.
   */
  start(filter: ServerFilter, match: (entry: LogEntry) => boolean, resume = false): void {
    this.#filter = filter;
    this.#match = match;
    this.buffer.setMatch(match);
    const resumeFrom = resume ? this.#cursor?.load() : undefined;
    if (resumeFrom === undefined) this.reloadLive();
    else void this.#resume(resumeFrom);
  }

  /** Cuts a reconnect wait short and connects again at once. */
  reconnectNow(): void {
    this.#feed.reconnectNow();
  }

  stop(): void {
    this.#generation++;
    this.#feed.close();
  }

  /**
   * Drops what is loaded and shows the newest `tail` matching lines, then live ones. A time range
   * that ends (`until`) gets no live lines: its newest `tail` lines come from history, and it ends there.
   */
  reloadLive(): void {
    this.#reset();
    if (this.#filter.until !== undefined) {
      void this.#loadBounded();
      return;
    }
    this.#feed.open(this.tail > 0 ? { tail: this.tail } : {});
    this.#events.changed();
  }

  /** The newest page of a range with an end; older pages load as the view scrolls up. */
  async #loadBounded(): Promise<void> {
    const generation = this.#generation;
    this.mode = 'detached';
    this.loadingOlder = true;
    this.#rangeEnds();
    this.#events.changed();
    try {
      const page = await fetchHistory({ ...this.#query(), limit: Math.max(1, Math.min(PAGE * 2, this.tail || PAGE)) });
      if (generation !== this.#generation) return;
      this.buffer.append(page.entries);
      this.olderAvailable = page.hasMore;
    } catch (error) {
      if (generation === this.#generation) this.#historyFailed('lines', error);
    } finally {
      if (generation === this.#generation) this.loadingOlder = false;
      this.#events.changed();
    }
  }

  /** A range with an end shows as a stream that ended there: nothing more comes, there is nothing to follow. */
  #rangeEnds(): void {
    this.statusLine.ended({ time: Date.now(), reason: `time range ends ${this.#filter.until}` });
  }

  /** A history request failed: a refused query shows at the search box, anything else in the notice. */
  #historyFailed(what: string, error: unknown): void {
    if (isLivelogClientError(error) && error.serverCode === 'LIVELOG_ERR_BAD_QUERY') this.queryError = badQueryText(error.message);
    else this.notice = `could not load ${what}: ${describeError(error)}`;
  }

  #reset(): void {
    this.stop();
    this.buffer.clear();
    this.mode = 'live';
    this.olderAvailable = true;
    this.newerAvailable = false;
    // Answers to requests in flight are dropped by generation, so nothing else would clear these.
    this.loadingOlder = false;
    this.loadingNewer = false;
    this.statusLine.reset();
    this.notice = undefined;
    this.queryError = undefined;
    this.lastGap = undefined;
  }

  async #resume(id: string): Promise<void> {
    const decoded = decodeCursor(id);
    if (!decoded.ok) {
      this.reloadLive();
      return;
    }
    this.#reset();
    const generation = this.#generation;
    this.loadingOlder = this.tail > 0;
    this.#events.changed();
    try {
      const page = await linesUpTo(this.#query(), decoded.cursor, this.tail);
      if (generation !== this.#generation) return;
      this.buffer.append(page.entries);
      this.olderAvailable = page.hasMore;
    } catch {
      // A cursor of another stream (data wiped, another server): what it named is gone, start afresh.
      if (generation === this.#generation) this.reloadLive();
      return;
    }
    this.loadingOlder = false;
    // Lines written while the page was away count as recovered, as after any other reconnect.
    this.statusLine.expectResume();
    this.#feed.open({ lastEventId: id });
    this.#events.changed();
  }

  /**
   * Applies a new filter. When the new server filter is narrower than the one the loaded lines were
   * fetched with, they are a superset of what is wanted: filter them locally and move the stream to
   * the new filter from its exact position. Otherwise lines are missing, so reload.
   */
  setFilter(filter: ServerFilter, match: (entry: LogEntry) => boolean): void {
    this.#match = match;
    this.buffer.setMatch(match);
    if (sameServerFilter(filter, this.#filter)) {
      this.#events.changed();
      return;
    }
    const narrower = isNarrowerOrEqual(filter, this.#filter);
    this.#filter = filter;
    // The id the stream would resume after now ('' before its first event).
    const position = this.#feed.lastEventId || undefined;
    if (narrower && this.mode === 'live' && position !== undefined) {
      this.#feed.close();
      this.#feed.open({ lastEventId: position });
      this.#events.changed();
      void this.#fill();
    } else {
      this.reloadLive();
    }
  }

  /** Loads the page of history just before the oldest loaded line. */
  loadOlder(): Promise<void> {
    const first = this.buffer.first;
    if (this.loadingOlder || !this.olderAvailable || first === undefined) return Promise.resolve();
    return this.#loadPage('older', { before: first.id }, (page) => {
      this.buffer.prepend(page.entries);
      this.olderAvailable = page.hasMore;
      if (this.buffer.trimNewest(this.maxLines) > 0) this.#detach();
    });
  }

  /** In detached mode: loads the next page after the newest loaded line, re-attaching to live at the end. */
  loadNewer(): Promise<void> {
    const last = this.buffer.last;
    if (this.mode !== 'detached' || !this.newerAvailable || this.loadingNewer || last === undefined) return Promise.resolve();
    return this.#loadPage('newer', { after: last.id }, (page, gaps) => {
      // A page read after an id retention passed says which lines are gone: marked where they were.
      for (const gap of gaps) this.noteGap(gap, true);
      this.buffer.append(page.entries);
      if (this.buffer.trimOldest(this.maxLines) > 0) this.olderAvailable = true;
      if (!page.hasMore) this.#attach();
    });
  }

  async #loadPage(
    which: 'older' | 'newer',
    position: { before: string } | { after: string },
    apply: (page: HistoryPage, gaps: readonly GapEvent[]) => void,
  ): Promise<void> {
    const loading = which === 'older' ? 'loadingOlder' : 'loadingNewer';
    this[loading] = true;
    this.#events.changed();
    const generation = this.#generation;
    try {
      let page = await fetchHistory({ ...this.#query(), ...position, limit: PAGE });
      // Pages read forward carry the gaps retention left after the id they were read from.
      const gaps = page.gap === undefined ? [] : [page.gap];
      // A page cut short by the server's scan budget can be empty: go on from its `next` until lines come.
      while (page.entries.length === 0 && page.hasMore && page.next !== undefined && generation === this.#generation) {
        const next = 'before' in position ? { before: page.next } : { after: page.next };
        page = await fetchHistory({ ...this.#query(), ...next, limit: PAGE });
        if (page.gap !== undefined) gaps.push(page.gap);
      }
      if (generation === this.#generation) apply(page, gaps);
    } catch (error) {
      if (generation === this.#generation) this.#historyFailed(`${which} lines`, error);
    } finally {
      if (generation === this.#generation) this[loading] = false;
      this.#events.changed();
    }
  }

  /**
   * Shows the lines around `id` (a permalink). Resolves to `found` when that line is loaded and
   * matches, `missing` when the lines around its place are shown without it. The stream keeps running
   * to count new lines; the view is detached until the user goes live. An id of another stream, or one
   * the log has not reached, says so and shows the live tail instead: `live`.
   */
  async jumpTo(id: string): Promise<'found' | 'missing' | 'live'> {
    const decoded = decodeCursor(id);
    if (!decoded.ok) return 'missing';
    this.#reset();
    const generation = this.#generation;
    this.mode = 'detached';
    if (this.#filter.until === undefined) this.#feed.open({});
    else this.#rangeEnds();
    this.#events.changed();
    try {
      const half = Math.min(PAGE, Math.max(50, Math.floor(this.maxLines / 4)));
      const found = await permalinkWindow(this.#query(), decoded.cursor, half, Object.keys(this.#filter).length > 0);
      if (generation !== this.#generation) return 'missing';
      if (found.kind === 'foreign' || found.kind === 'future') {
        this.reloadLive();
        this.notice = permalinkNotice(id, found);
        return 'live';
      }
      const gap = found.gap;
      this.buffer.append(gap === undefined ? found.entries : found.entries.filter((entry) => entry.seq < gap.fromSeq));
      // Retention removed the lines from the permalink's on: marked before the first retained one.
      if (gap !== undefined) this.noteGap(gap, true);
      if (gap !== undefined) this.buffer.append(found.entries.filter((entry) => entry.seq > gap.toSeq));
      this.olderAvailable = found.olderAvailable;
      this.newerAvailable = found.newerAvailable;
      if (!found.newerAvailable) this.#attach();
      if (found.kind !== 'found') this.notice = permalinkNotice(id, found);
      return found.kind === 'found' ? 'found' : 'missing';
    } catch (error) {
      if (generation === this.#generation) this.notice = `could not load line ${id}: ${describeError(error)}`;
      return 'missing';
    } finally {
      this.#events.changed();
    }
  }

  /**
   * A gap the stream's `gap` event or a history page's `gap` field reported; with `mark`, marked after
   * the newest loaded line (once per place). Announced unless the stream and a page both named it.
   */
  noteGap(gap: GapEvent, mark: boolean): void {
    if (mark) this.buffer.addGap(gap);
    if (this.lastGap?.fromSeq === gap.fromSeq && this.lastGap.toSeq === gap.toSeq) return;
    this.lastGap = gap;
    this.#events.gap(gap);
  }

  /** Applies a new `maxLines`, dropping the oldest lines beyond it. */
  setMaxLines(max: number): void {
    this.maxLines = max;
    if (this.buffer.trimOldest(max) > 0) this.olderAvailable = true;
    this.#events.changed();
  }

  /**
   * After narrowing, the loaded lines may hold few that still match (a source with no recent lines):
   * load older pages, with the new server filter, until `tail` lines show or nothing older exists.
   */
  async #fill(): Promise<void> {
    const generation = this.#generation;
    // Never past maxLines: trimming the newest lines would detach the view from live.
    while (generation === this.#generation && this.buffer.rows.length < this.tail && this.buffer.size + PAGE <= this.maxLines) {
      const before = this.buffer.size;
      await this.loadOlder();
      if (this.buffer.size === before) return;
    }
  }

  /** Streams the whole range matching the server filter, oldest first, a page at a time, up to the newest line now. */
  wholeRange(signal: AbortSignal): AsyncGenerator<LogEntry[]> {
    return linesInRange(this.#query(), this.#match, this.#feed.position() ?? Number.POSITIVE_INFINITY, signal);
  }

  #detach(): void {
    if (this.mode === 'detached') return;
    this.mode = 'detached';
    this.newerAvailable = true;
  }

  /** Re-attaches a detached window to the live stream, from exactly its newest loaded line. */
  #attach(): void {
    const last = this.buffer.last;
    this.#feed.close();
    this.newerAvailable = false;
    // A range with an end has no live lines to join.
    if (this.#filter.until !== undefined) return;
    this.mode = 'live';
    if (last !== undefined) this.#feed.open({ lastEventId: last.id });
    else this.#feed.open(this.tail > 0 ? { tail: this.tail } : {});
  }

  /** The server and filter history pages are asked with. */
  #query(): HistoryQuery {
    return { ...this.#server, filter: this.#filter };
  }
}
