import { decodeCursor, encodeCursor, type GapEvent, type HelloEvent, type LogEntry } from '@livelog/protocol';
import { isNarrowerOrEqual, type ServerFilter, sameServerFilter } from './line-filter.js';
import { LogBuffer } from './log-buffer.js';
import type { ConnectionStatus, LogSource, SourceSummary, StreamHandle, StreamListener } from './log-source.js';

/** Lines per history request (the server's most is 1,000). */
const PAGE = 500;
/** The server's most per history request. */
const MAX_PAGE = 1000;
/** How old the source list may get before the next refresh, in ms. */
const SOURCES_MAX_AGE_MS = 30_000;

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
  /**
   * Entries this reader is behind while catching up, 0 otherwise: the head the server named in its
   * last `lag` event less the position reached since. Counted down locally because the server says
   * it at most once a second, and a fast replay finishes between two of its reports.
   */
  lag = 0;
  /** Lines delivered by the last resume, once it completed. */
  recovered: { count: number; at: number } | undefined;
  /** More history exists before the oldest loaded line (as far as the last page said). */
  olderAvailable = true;
  /** In detached mode: more exists after the newest loaded line. */
  newerAvailable = false;
  loadingOlder = false;
  loadingNewer = false;
  /** Sources known from the server and from lines seen. */
  readonly sources = new Map<string, SourceSummary>();
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
  #resumePending = false;
  #recovery: { target: number; count: number } | undefined;
  #streamId: string | undefined;
  #rate: { at: number; count: number }[] = [];
  #lagHead: number | undefined;
  #sourcesAt = 0;
  #sourcesLoading: Promise<void> | undefined;

  constructor(source: LogSource, events: ModelEvents, options: { maxLines: number; tail: number }) {
    this.#source = source;
    this.#events = events;
    this.maxLines = options.maxLines;
    this.tail = options.tail;
  }

  /** The server filter the loaded lines were fetched with. */
  get serverFilter(): ServerFilter {
    return this.#filter;
  }

  /** Lines per second received over the last few seconds. */
  rate(now = Date.now()): number {
    this.#rate = this.#rate.filter((sample) => now - sample.at < 5000);
    const total = this.#rate.reduce((sum, sample) => sum + sample.count, 0);
    return total / 5;
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
    this.lag = 0;
    this.#lagHead = undefined;
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
      // `before` is exclusive: the id just after the cursor brings the cursor's own line too.
      let before = encodeCursor({ stream: decoded.cursor.stream, seq: decoded.cursor.seq + 1 });
      while (this.buffer.size < this.tail) {
        const page = await this.#source.history({ before }, this.#filter, Math.min(MAX_PAGE, this.tail - this.buffer.size));
        if (generation !== this.#generation) return;
        this.buffer.prepend(page.entries);
        this.olderAvailable = page.hasMore;
        const first = page.entries[0];
        if (!page.hasMore || first === undefined) break;
        before = first.id;
      }
    } catch {
      // A cursor of another stream (data wiped, another server): what it named is gone, start afresh.
      if (generation === this.#generation) this.reloadLive();
      return;
    }
    this.loadingOlder = false;
    // Lines written while the page was away count as recovered, as after any other reconnect.
    this.#resumePending = true;
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
  async loadOlder(): Promise<void> {
    const first = this.buffer.first;
    if (this.loadingOlder || !this.olderAvailable || first === undefined) return;
    this.loadingOlder = true;
    this.#events.changed();
    const generation = this.#generation;
    try {
      const page = await this.#source.history({ before: first.id }, this.#filter, PAGE);
      if (generation !== this.#generation) return;
      this.buffer.prepend(page.entries);
      this.olderAvailable = page.hasMore;
      if (this.buffer.trimNewest(this.maxLines) > 0) this.#detach();
    } catch (error) {
      if (generation === this.#generation) this.notice = `could not load older lines: ${describe(error)}`;
    } finally {
      if (generation === this.#generation) this.loadingOlder = false;
      this.#events.changed();
    }
  }

  /** In detached mode: loads the next page after the newest loaded line, re-attaching to live at the end. */
  async loadNewer(): Promise<void> {
    const last = this.buffer.last;
    if (this.mode !== 'detached' || this.loadingNewer || last === undefined) return;
    this.loadingNewer = true;
    this.#events.changed();
    const generation = this.#generation;
    try {
      const page = await this.#source.history({ after: last.id }, this.#filter, PAGE);
      if (generation !== this.#generation) return;
      this.buffer.append(page.entries);
      if (this.buffer.trimOldest(this.maxLines) > 0) this.olderAvailable = true;
      if (!page.hasMore) this.#attach();
    } catch (error) {
      if (generation === this.#generation) this.notice = `could not load newer lines: ${describe(error)}`;
    } finally {
      if (generation === this.#generation) this.loadingNewer = false;
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
    const { stream, seq } = decoded.cursor;
    this.stop();
    const generation = this.#generation;
    this.buffer.clear();
    this.mode = 'detached';
    this.notice = undefined;
    this.#openStream({ live: true });
    this.#events.changed();
    try {
      const half = Math.min(PAGE, Math.max(50, Math.floor(this.maxLines / 4)));
      const [before, after] = await Promise.all([
        this.#source.history({ before: id }, this.#filter, half),
        this.#source.history({ after: encodeCursor({ stream, seq: Math.max(0, seq - 1) }) }, this.#filter, half),
      ]);
      if (generation !== this.#generation) return false;
      this.buffer.append(before.entries);
      this.buffer.append(after.entries);
      this.olderAvailable = before.hasMore;
      this.newerAvailable = after.hasMore;
      if (!after.hasMore) this.#attach();
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
    while (
      generation === this.#generation &&
      this.mode === 'live' &&
      this.olderAvailable &&
      this.buffer.rows.length < this.tail &&
      this.buffer.size + PAGE <= this.maxLines
    ) {
      const before = this.buffer.size;
      await this.loadOlder();
      if (this.buffer.size === before) return;
    }
  }

  /**
   * Refreshes the source list from the server (every source it stored, not only those in loaded
   * lines), unless it is younger than `maxAgeMs`. Concurrent calls share one request.
   */
  refreshSources(maxAgeMs = 0, now = Date.now()): Promise<void> {
    if (this.#sourcesLoading !== undefined) return this.#sourcesLoading;
    if (now - this.#sourcesAt < maxAgeMs) return Promise.resolve();
    this.#sourcesAt = now;
    const generation = this.#generation;
    this.#sourcesLoading = (async () => {
      try {
        const summaries = await this.#source.sources();
        if (generation !== this.#generation) return;
        for (const summary of summaries) this.sources.set(summary.name, summary);
        this.#events.changed();
      } catch {
        // The list is a convenience; sources seen in lines are still offered, and the next refresh retries.
        this.#sourcesAt = 0;
      } finally {
        this.#sourcesLoading = undefined;
      }
    })();
    return this.#sourcesLoading;
  }

  /** Refreshes the source list when it is older than 30 s (for a host's periodic tick). */
  refreshStaleSources(now = Date.now()): void {
    void this.refreshSources(SOURCES_MAX_AGE_MS, now);
  }

  /** Streams the whole range matching the server filter, oldest first, a page at a time, up to the newest line now. */
  async *wholeRange(signal: AbortSignal): AsyncGenerator<LogEntry[]> {
    const headId = this.#stream?.lastEventId();
    const head = headId === undefined ? undefined : decodeCursor(headId);
    const until = head?.ok ? head.cursor.seq : Number.POSITIVE_INFINITY;
    let page = await this.#source.history({ fromStart: true }, this.#filter, 1000, signal);
    for (;;) {
      const wanted = page.entries.filter((entry) => entry.seq <= until && this.#match(entry));
      if (wanted.length > 0) yield wanted;
      const last = page.entries.at(-1);
      if (!page.hasMore || last === undefined || last.seq >= until) return;
      page = await this.#source.history({ after: last.id }, this.#filter, 1000, signal);
    }
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
    const current = (): boolean => generation === this.#generation && this.#stream === handle;
    const listener: StreamListener = {
      entries: (batch) => {
        if (!current()) return;
        this.#onEntries(batch);
      },
      hello: (hello) => {
        if (current()) this.#onHello(hello);
      },
      gap: (gap) => {
        if (!current()) return;
        if (this.mode === 'live') this.buffer.addGap(gap);
        this.lastGap = gap;
        this.#events.gap(gap);
        this.#events.changed();
      },
      reset: () => {
        // The position is foreign (data wiped, another server) or malformed: what is loaded no longer
        // joins the stream, so start over from the tail.
        if (current()) queueMicrotask(() => this.reloadLive());
      },
      lag: (behind) => {
        if (!current()) return;
        const position = this.#position();
        this.#lagHead = behind > 0 && position !== undefined ? position + behind : undefined;
        this.lag = this.#lagHead === undefined ? 0 : behind;
        this.#checkRecovery();
        // Hosts see the catch-up in `livelog-status`, as they see every other change of the state line.
        this.#events.status(this.status);
        this.#events.changed();
      },
      status: (status) => {
        if (!current()) return;
        if (status.state === 'reconnecting') {
          this.#resumePending = true;
          this.#recovery = undefined;
          this.recovered = undefined;
          this.lag = 0;
          this.#lagHead = undefined;
        }
        this.status = status;
        this.#events.status(status);
        this.#events.changed();
      },
      cursor: (lastEventId) => {
        if (!current()) return;
        this.#countDownLag();
        this.#events.cursor(lastEventId);
      },
    };
    const handle = this.#source.open(start, this.#filter, listener);
    this.#stream = handle;
  }

  #onHello(hello: HelloEvent): void {
    if (this.#streamId !== undefined && this.#streamId !== hello.stream) this.sources.clear();
    this.#streamId = hello.stream;
    // A (re)connect is when sources may have appeared unseen: refresh, at most once a few seconds.
    void this.refreshSources(5000);
    if (this.#resumePending) {
      this.#resumePending = false;
      this.#recovery = { target: hello.last, count: 0 };
      this.#checkRecovery();
    }
  }

  #onEntries(batch: readonly LogEntry[]): void {
    this.received += batch.length;
    const now = Date.now();
    this.#rate.push({ at: now, count: batch.length });
    if (this.#rate.length > 600) this.rate(now);
    for (const entry of batch) {
      if (!this.sources.has(entry.source))
        this.sources.set(entry.source, { name: entry.source, entries: 0, lastSeq: entry.seq, lastTime: entry.time });
    }
    if (this.#recovery !== undefined) {
      for (const entry of batch) if (entry.seq <= this.#recovery.target) this.#recovery.count++;
    }
    let visible = 0;
    if (this.mode === 'live') {
      const before = this.buffer.rows.length;
      this.buffer.append(batch);
      visible = this.buffer.rows.length - before;
      if (this.buffer.trimOldest(this.maxLines) > 0) this.olderAvailable = true;
    } else {
      for (const entry of batch) if (this.#match(entry)) visible++;
    }
    this.#countDownLag();
    this.#checkRecovery();
    if (visible > 0) this.#events.appended(visible);
    this.#events.changed();
  }

  /** Seq of the stream's position (entries and id-only progress), if it has one. */
  #position(): number | undefined {
    const id = this.#stream?.lastEventId();
    const decoded = id === undefined ? undefined : decodeCursor(id);
    return decoded?.ok ? decoded.cursor.seq : undefined;
  }

  #countDownLag(): void {
    if (this.#lagHead === undefined) return;
    this.lag = Math.max(0, this.#lagHead - (this.#position() ?? 0));
    if (this.lag > 0) return;
    this.#lagHead = undefined;
    this.#events.status(this.status);
  }

  /** A resume is complete once the stream's position reached the head the server announced at reconnect. */
  #checkRecovery(): void {
    const recovery = this.#recovery;
    if (recovery === undefined) return;
    if ((this.#position() ?? -1) < recovery.target) return;
    this.#recovery = undefined;
    this.recovered = { count: recovery.count, at: Date.now() };
    this.#events.recovered(recovery.count);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
