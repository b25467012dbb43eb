import { decodeCursor, type GapEvent, type HelloEvent, type LogEntry } from '@livelog/protocol';
import { CatchUp, type CatchUpProgress } from './catch-up.js';
import { linesAround, linesInRange, linesUpTo } from './history-pages.js';
import { isNarrowerOrEqual, type ServerFilter, sameServerFilter } from './line-filter.js';
import { LineRate } from './line-rate.js';
import { LogBuffer } from './log-buffer.js';
import type { ConnectionStatus, HistoryPage, HistoryPosition, LogSource, StreamHandle, StreamListener } from './log-source.js';
import { SourceList } from './source-list.js';

/** Lines per history request (the server's most is 1,000). */
const PAGE = 500;

/** What the model tells its host. The host decides when to re-render. */
export interface ModelEvents {
  changed(): void;
  /** `count` lines matched the local filter among those just appended (for the "N new lines" pill). */
  appended(count: number): void;
  status(status: ConnectionStatus): void;
  gap(gap: GapEvent): void;
  /** A resume finished: `count` lines written while the reader was away were delivered. */
  recovered(count: number): void;
  /** Every line up to this id is in the buffer (or was skipped by the filter): where a reload may resume. */
  cursor(lastEventId: string): void;
}

/**
 * The console's data: one contiguous, server-filtered stretch of the log in a LogBuffer, fed by a
 * stream and by history pages, and how it came to be (status, lag, recovered counts).
 *
 * Two modes. `live`: the buffer's newest end is the stream's cursor, so stream entries are appended
 * and a reconnect resumes exactly there. `detached`: the buffer is a window somewhere in history (a
 * permalink, or after paging back past `maxLines`); the stream only counts new lines, and paging
 * forward re-attaches by reopening the stream from the newest loaded id, so no line is skipped.
 */
export class LogModel {
  readonly buffer = new LogBuffer();
  mode: 'live' | 'detached' = 'live';
  status: ConnectionStatus = { state: 'connecting', attempt: 0 };
  /** More history exists before the oldest loaded line (as far as the last page said). */
  olderAvailable = true;
  /** In detached mode: more exists after the newest loaded line. */
  newerAvailable = false;
  loadingOlder = false;
  loadingNewer = false;
  /** Sources known from the server and from lines seen. */
  readonly sources: SourceList;
  /** Entries received from the stream, in total. */
  received = 0;
  /** The last gap the server reported, until the view is reloaded. */
  lastGap: GapEvent | undefined;
  /** A problem to show that is not a connection state (a history request failed, a permalink target is gone). */
  notice: string | undefined;
  maxLines: number;
  tail: number;

  readonly #source: LogSource;
  readonly #events: ModelEvents;
  #filter: ServerFilter = {};
  #match: (entry: LogEntry) => boolean = () => true;
  #stream: StreamHandle | undefined;
  /** Bumped on every reload so late answers for an older query are dropped. */
  #generation = 0;
  readonly #catchUp = new CatchUp();
  #streamId: string | undefined;
  readonly #rate = new LineRate();

  constructor(source: LogSource, events: ModelEvents, options: { maxLines: number; tail: number }) {
    this.#source = source;
    this.#events = events;
    this.sources = new SourceList(
      () => source.sources(),
      () => events.changed(),
    );
    this.maxLines = options.maxLines;
    this.tail = options.tail;
  }

  /** Entries behind the head while a resume catches up (counted down as lines arrive); 0 otherwise. */
  get lag(): number {
    return this.#catchUp.lag;
  }

  /** Lines delivered by the last resume, once it completed. */
  get recovered(): { count: number; at: number } | undefined {
    return this.#catchUp.recovered;
  }

  /** The server filter the loaded lines were fetched with. */
  get serverFilter(): ServerFilter {
    return this.#filter;
  }

  /** Lines per second received over the last few seconds. */
  rate(now = Date.now()): number {
    return this.#rate.perSecond(now);
  }

  /**
   * Starts showing the live tail with `filter` (the server part) and `match` (the local predicate).
   * With `resumeFrom` (the cursor a reloaded page stored), it resumes there instead: the `tail` lines
   * up to and including that id come from history, and the stream continues right after it, so the
   * lines that were on screen are back and every line written meanwhile arrives, each once.
   */
  start(filter: ServerFilter, match: (entry: LogEntry) => boolean, resumeFrom?: string): void {
    this.#filter = filter;
    this.#match = match;
    this.buffer.setMatch(match);
    if (resumeFrom === undefined) this.reloadLive();
    else void this.#resume(resumeFrom);
  }

  /** Cuts a reconnect wait short and connects again at once. */
  reconnectNow(): void {
    this.#stream?.reconnectNow();
  }

  stop(): void {
    this.#generation++;
    this.#closeStream();
  }

  #closeStream(): void {
    // Cleared first: a closing stream reports `closed`, which must not show as this console's state.
    const stream = this.#stream;
    this.#stream = undefined;
    stream?.close();
  }

  /** Drops what is loaded and shows the newest `tail` matching lines, then live ones. */
  reloadLive(): void {
    this.#reset();
    this.#openStream(this.tail > 0 ? { tail: this.tail } : { live: true });
    this.#events.changed();
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
    this.#catchUp.reset();
    this.notice = undefined;
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
      const page = await linesUpTo(this.#source, this.#filter, decoded.cursor, this.tail);
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
    this.#catchUp.expectResume();
    this.#openStream({ lastEventId: id });
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
    const position = this.#stream?.lastEventId();
    if (narrower && this.mode === 'live' && position !== undefined) {
      this.#closeStream();
      this.#openStream({ lastEventId: position });
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
    if (this.mode !== 'detached' || this.loadingNewer || last === undefined) return Promise.resolve();
    return this.#loadPage('newer', { after: last.id }, (page) => {
      this.buffer.append(page.entries);
      if (this.buffer.trimOldest(this.maxLines) > 0) this.olderAvailable = true;
      if (!page.hasMore) this.#attach();
    });
  }

  async #loadPage(which: 'older' | 'newer', position: HistoryPosition, apply: (page: HistoryPage) => void): Promise<void> {
    const loading = which === 'older' ? 'loadingOlder' : 'loadingNewer';
    this[loading] = true;
    this.#events.changed();
    const generation = this.#generation;
    try {
      const page = await this.#source.history(position, this.#filter, PAGE);
      if (generation === this.#generation) apply(page);
    } catch (error) {
      if (generation === this.#generation) this.notice = `could not load ${which} lines: ${describe(error)}`;
    } finally {
      if (generation === this.#generation) this[loading] = false;
      this.#events.changed();
    }
  }

  /**
   * Shows the lines around `id` (a permalink). Resolves to whether that line is loaded and matches.
   * The stream keeps running to count new lines; the view is detached until the user goes live.
   */
  async jumpTo(id: string): Promise<boolean> {
    const decoded = decodeCursor(id);
    if (!decoded.ok) return false;
    const { seq } = decoded.cursor;
    this.#reset();
    const generation = this.#generation;
    this.mode = 'detached';
    this.#openStream({ live: true });
    this.#events.changed();
    try {
      const half = Math.min(PAGE, Math.max(50, Math.floor(this.maxLines / 4)));
      const around = await linesAround(this.#source, this.#filter, decoded.cursor, half);
      if (generation !== this.#generation) return false;
      this.buffer.append(around.entries);
      this.olderAvailable = around.olderAvailable;
      this.newerAvailable = around.newerAvailable;
      if (!around.newerAvailable) this.#attach();
      const found = this.buffer.entryBySeq(seq) !== undefined;
      if (!found) this.notice = `line ${id} is not retained any more (or does not match the filter)`;
      return found;
    } catch (error) {
      if (generation === this.#generation) this.notice = `could not load line ${id}: ${describe(error)}`;
      return false;
    } finally {
      this.#events.changed();
    }
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
    return linesInRange(this.#source, this.#filter, this.#match, this.#position() ?? Number.POSITIVE_INFINITY, signal);
  }

  #detach(): void {
    if (this.mode === 'detached') return;
    this.mode = 'detached';
    this.newerAvailable = true;
  }

  /** Re-attaches a detached window to the live stream, from exactly its newest loaded line. */
  #attach(): void {
    const last = this.buffer.last;
    this.#closeStream();
    this.mode = 'live';
    this.newerAvailable = false;
    if (last !== undefined) this.#openStream({ lastEventId: last.id });
    else this.#openStream(this.tail > 0 ? { tail: this.tail } : { live: true });
  }

  #openStream(start: Parameters<LogSource['open']>[0]): void {
    const generation = this.#generation;
    // Events of a stream this model has since replaced (a reload, a new filter) are ignored.
    const current =
      <A extends unknown[]>(handler: (...args: A) => void) =>
      (...args: A): void => {
        if (generation === this.#generation && this.#stream === handle) handler(...args);
      };
    const listener: StreamListener = {
      entries: current((batch) => this.#onEntries(batch)),
      hello: current((hello) => this.#onHello(hello)),
      gap: current((gap) => {
        if (this.mode === 'live') this.buffer.addGap(gap);
        this.lastGap = gap;
        this.#events.gap(gap);
        this.#events.changed();
      }),
      // The position is foreign (data wiped, another server) or malformed: what is loaded no longer
      // joins the stream, so start over from the tail.
      reset: current(() => queueMicrotask(() => this.reloadLive())),
      lag: current((behind) => {
        this.#report(this.#catchUp.lagReported(behind, this.#position()));
        // Hosts see the catch-up in `livelog-status`, as they see every other change of the state line.
        this.#events.status(this.status);
        this.#events.changed();
      }),
      status: current((status) => {
        if (status.state === 'reconnecting') this.#catchUp.expectResume();
        this.status = status;
        this.#events.status(status);
        this.#events.changed();
      }),
      cursor: current((lastEventId) => {
        this.#report(this.#catchUp.progress(this.#position()));
        this.#events.cursor(lastEventId);
      }),
    };
    const handle = this.#source.open(start, this.#filter, listener);
    this.#stream = handle;
  }

  #onHello(hello: HelloEvent): void {
    if (this.#streamId !== undefined && this.#streamId !== hello.stream) this.sources.clear();
    this.#streamId = hello.stream;
    // A (re)connect is when sources may have appeared unseen: refresh, at most once a few seconds.
    void this.sources.refresh(5000);
    this.#report(this.#catchUp.hello(hello.last, this.#position()));
  }

  #onEntries(batch: readonly LogEntry[]): void {
    this.received += batch.length;
    this.#rate.add(batch.length);
    this.sources.noteLines(batch);
    this.#catchUp.delivered(batch);
    let visible = 0;
    if (this.mode === 'live') {
      const before = this.buffer.rows.length;
      this.buffer.append(batch);
      visible = this.buffer.rows.length - before;
      if (this.buffer.trimOldest(this.maxLines) > 0) this.olderAvailable = true;
    } else {
      for (const entry of batch) if (this.#match(entry)) visible++;
    }
    this.#report(this.#catchUp.progress(this.#position()));
    if (visible > 0) this.#events.appended(visible);
    this.#events.changed();
  }

  /** Seq of the stream's position (entries and id-only progress), if it has one. */
  #position(): number | undefined {
    const id = this.#stream?.lastEventId();
    const decoded = id === undefined ? undefined : decodeCursor(id);
    return decoded?.ok ? decoded.cursor.seq : undefined;
  }

  #report(progress: CatchUpProgress): void {
    if (progress.recovered !== undefined) this.#events.recovered(progress.recovered);
    if (progress.caughtUp) this.#events.status(this.status);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
