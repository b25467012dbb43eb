import { type CloseReason, type EndEvent, type EndInfo, formatId, type LogEntry, type ResetEvent } from '@livelog/protocol';
import { compileFilter, type EntryFilter, isEmptyFilter } from '../entry/entry-filter.js';
import { isLivelogError } from '../errors.js';
import { encodeComment, encodeIdOnly } from '../sse/encode-event.js';
import type { SseSink } from '../sse/sse-sink.js';
import { encodeCloseEvent, encodeEndEvent, encodeResetEvent } from '../sse/stream-events.js';
import { yieldToEventLoop } from '../store/chunked-scan.js';
import type { LogStore, StoredEntry } from '../store/log-store.js';
import { gapEvent, LagNotices } from './catch-up-events.js';
import { ReadAhead } from './read-ahead.js';
import { rowFrames } from './row-frames.js';
import { RowPageSize } from './row-page-size.js';
import type { SubscriptionContext } from './subscription-context.js';
import { writeChunks } from './write-chunks.js';

/** The heartbeat comment, encoded once for every reader. */
const HEARTBEAT = encodeComment();

/**
 * One reader: nothing but a cursor into the store and a socket to write to.
 *
 * Invariant: the reader receives exactly the entries with seq > cursor, in seq order, each once.
 * Catch-up and live delivery are the same loop: read from the cursor (the hot ring when it holds the
 * cursor, else the store, in pages), write, advance the cursor to the last entry written or skipped.
 * There is no queue per reader to overflow and no replay-to-live hand-off to race: an entry appended
 * at any moment is either at or before the head the loop compares against next, or it wakes the loop.
 *
 * Catch-up pages come from the broker's page cache when it has one (readers at nearby cursors share
 * one store read); store reads wait for the broker's per-turn budget of pages, writes of pages others
 * read for its budget of bytes, so that a reconnect storm cannot fill the event loop's turns.
 *
 * Backpressure waits, it never drops: when the socket's buffer is full the loop stops and resumes on
 * `drain`; the broker disconnects a reader whose socket stays full past the stall limit, and it
 * resumes by Last-Event-ID.
 */
export class Subscription {
  readonly #context: SubscriptionContext;
  readonly #sink: SseSink;
  readonly #stream: string;
  readonly #matches: ((entry: LogEntry) => boolean) | undefined;
  #cursor: number;
  #pumping = false;
  #wakeAgain = false;
  #waitingSince = 0;
  /** The sink's unsent bytes when last looked at while waiting for drain (see isStalled). */
  #bufferedSeen = 0;
  #lastWriteAt = Date.now();
  readonly #lags: LagNotices;
  #closed = false;
  /** With `?until=`: the last seq this reader gets, once known; it is then closed with `until`. */
  #stopSeq: number | undefined;
  #untilTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * The stream's last seq, read from the store after its end was known: `end` goes out only once the
   * cursor reaches it. The broker's head alone is not enough: a store can know of the end (read with
   * the stream's state, or from another instance) before its append listeners saw the last entries.
   */
  #endSeq: number | undefined;
  /** True while counted among the broker's readers catching up from pages. */
  #catchingUp = false;
  /** Store pages read while the socket drains; made by the first frame page. */
  #readAhead: ReadAhead | undefined;
  /** Rows per page of rows, sized by the bytes of the rows read so far. */
  readonly #rowPage: RowPageSize;

  constructor(context: SubscriptionContext, sink: SseSink, stream: string, startSeq: number, filter?: EntryFilter) {
    this.#context = context;
    this.#sink = sink;
    this.#stream = stream;
    this.#cursor = startSeq;
    this.#matches = isEmptyFilter(filter) ? undefined : compileFilter(filter);
    this.#rowPage = new RowPageSize(context.pageSize);
    this.#lags = new LagNotices(context.lagThreshold, context.lagIntervalMs);
    sink.onceClose(() => this.#markClosed());
  }

  /**
   * Ends the reader at `until`: at once for a time already past (`stopSeqAt` resolves the last seq
   * before it), else when the clock reaches it, at the entries stored by then.
   */
  async endAt(until: number, stopSeqAt: (time: number) => Promise<number>): Promise<void> {
    const delay = until - Date.now();
    if (delay <= 0) {
      this.#stopSeq = await stopSeqAt(until);
      return;
    }
    // setTimeout cannot wait longer than 2^31 - 1 ms: a later `until` re-arms.
    this.#untilTimer = setTimeout(
      () => {
        this.#untilTimer = undefined;
        if (this.#closed) return;
        this.endAt(until, stopSeqAt).then(
          () => this.wake(),
          () => this.destroy(),
        );
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    this.#untilTimer.unref();
  }

  /** Seq of the last entry written or skipped. */
  get cursor(): number {
    return this.#cursor;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True while the socket is full and the loop waits for drain. */
  get waiting(): boolean {
    return this.#waitingSince !== 0;
  }

  /** Writes the opening events, then starts delivering. */
  start(preamble: string): void {
    this.#write([], preamble);
    this.wake();
  }

  /** Runs the delivery loop unless it is running or waiting for drain. Called on every append. */
  wake(): void {
    if (this.#closed || this.#waitingSince !== 0) return;
    if (this.#pumping) {
      // The loop may be on its way out (it saw a full socket, and Node can emit `drain` on the next
      // tick, before the loop's promise settles): make it look again rather than lose this wake-up.
      this.#wakeAgain = true;
      return;
    }
    this.#pumping = true;
    this.#pump().then(
      () => {
        this.#pumping = false;
        if (this.#wakeAgain) {
          this.#wakeAgain = false;
          this.wake();
        }
      },
      (error: unknown) => {
        this.#pumping = false;
        if (isLivelogError(error) && error.code === 'LIVELOG_ERR_STREAM_NOT_FOUND') {
          // Deleted while this reader read (before the broker heard of it): the same ending it would send.
          const reset: ResetEvent = { reason: 'deleted', stream: this.#stream };
          this.close('deleted', encodeResetEvent(reset));
          return;
        }
        // A store that fails mid-stream: drop the connection so the reader resumes by cursor (not thrown: it would end the process).
        this.destroy();
        this.#context.onStoreError(error);
      },
    );
  }

  /** Writes a heartbeat comment when nothing was written for `intervalMs`. */
  heartbeat(now: number, intervalMs: number): void {
    if (this.#closed || this.#waitingSince !== 0 || now - this.#lastWriteAt < intervalMs) return;
    if (this.#sink.heartbeat === undefined) {
      this.#write([], HEARTBEAT);
      return;
    }
    this.#lastWriteAt = now;
    this.#sink.heartbeat();
  }

  /**
   * True when the socket has taken nothing for longer than `limitMs` while full. Time to drain is not the
   * measure: a slow reader of a 200 KB catch-up page can take longer than that and be reading all along.
   */
  isStalled(now: number, limitMs: number): boolean {
    if (this.#waitingSince === 0) return false;
    const buffered = this.#sink.buffered;
    if (buffered < this.#bufferedSeen) this.#waitingSince = now;
    this.#bufferedSeen = buffered;
    return now - this.#waitingSince > limitMs;
  }

  /** Ends the stream with a `close` event saying why and whether to reconnect, after `before` (events). */
  close(reason: CloseReason, before = ''): void {
    if (this.#closed) return;
    const event = before + encodeCloseEvent(reason);
    this.#sink.write(event);
    this.#sink.end();
    this.#markClosed();
  }

  /** Drops the connection at once (nothing more can be written to a stalled socket). */
  destroy(): void {
    this.#sink.destroy();
    this.#markClosed();
  }

  async #pump(): Promise<void> {
    const { ring, store } = this.#context;
    while (!this.#closed && this.#waitingSince === 0) {
      const head = Math.min(Math.max(this.#context.head(), this.#endSeq ?? 0), this.#stopSeq ?? Number.POSITIVE_INFINITY);
      if (this.#cursor >= head) {
        this.#countCatchingUp(false);
        this.#write([], this.#lags.caughtUp());
        if (this.#stopSeq !== undefined && this.#cursor >= this.#stopSeq) {
          this.close('until');
          return;
        }
        // `end` only once the cursor reaches the store's last seq (see #endSeq), never at the broker's head.
        const ended = this.#context.ended();
        if (ended === undefined) return;
        if (this.#endSeq === undefined) {
          const { last } = await store.bounds();
          if (this.#closed) return;
          this.#endSeq = last;
        }
        if (this.#cursor < this.#endSeq) continue;
        this.#finish(ended, this.#endSeq);
        return;
      }
      // The ring hands out whatever it holds; a reader with an end reads the store up to it.
      const fromRing = this.#stopSeq === undefined ? ring.collect(this.#cursor + 1, this.#context.maxWriteBytes, this.#matches) : undefined;
      if (fromRing !== undefined) {
        this.#countCatchingUp(false);
        const trailer = fromRing.endsSkipped ? encodeIdOnly(this.#id(fromRing.lastSeq)) : '';
        this.#cursor = fromRing.lastSeq;
        this.#context.onDelivered(fromRing.written);
        this.#write(fromRing.buffers, trailer);
        continue;
      }
      // Ready-made frame pages hold a whole page; a reader ending at `until` reads exact rows instead.
      const framePages = this.#matches === undefined && this.#stopSeq === undefined;
      if (framePages && (this.#context.pages !== undefined || store.readFrames !== undefined)) {
        // A page read ahead took the budget when asked for; the page cache takes it itself, for store reads only.
        if (this.#readAhead?.has(this.#cursor) !== true && this.#context.pages === undefined) {
          const turn = this.#context.budget.take();
          if (turn !== undefined) await turn;
          if (this.#closed) return;
        }
        if (!(await this.#writeFramePage(store, head))) return;
        continue;
      }
      const turn = this.#context.budget.take();
      if (turn !== undefined) await turn;
      if (this.#closed) return;
      this.#context.onPageRead();
      const rows = await store.readAfter(this.#cursor, Math.min(this.#rowPage.rows, head - this.#cursor));
      this.#rowPage.observe(rows);
      if (this.#closed) return;
      let text = '';
      const first = rows[0];
      if (first === undefined) {
        // Nothing after the cursor although the head is past it: retention removed the rest.
        const bounds = await store.bounds();
        if (this.#closed) return;
        if (bounds.first <= this.#cursor + 1) return;
        text += this.#gap(bounds.first - 1);
        this.#cursor = bounds.first - 1;
        this.#write([], text);
        continue;
      }
      // seqs are contiguous and never reused, so a hole before the first row was removed by retention.
      if (first.seq > this.#cursor + 1) text += this.#gap(first.seq - 1);
      const frames = rowFrames(rows, this.#matches, (seq) => this.#id(seq));
      this.#context.onDelivered(frames.written);
      text += frames.text;
      this.#cursor = (rows[rows.length - 1] as StoredEntry).seq;
      text += this.#lags.behind(head - this.#cursor);
      this.#write([], text);
      // A filter that matches little writes nothing and so never waits for drain: without this a
      // catch-up through a large store would run page after page in one turn of the event loop.
      await yieldToEventLoop();
    }
  }

  /**
   * Catch-up without a filter, from the page cache or a store that builds frames: the buffer goes to the
   * socket as it is, and the next page is prefetched while it drains. False when the loop must stop.
   */
  async #writeFramePage(store: LogStore, head: number): Promise<boolean> {
    const pages = this.#context.pages;
    this.#readAhead ??= new ReadAhead(
      (after) => {
        // A reader far behind reads several of the pages it has to go in one store read (see StreamPages.read).
        if (pages !== undefined) return pages.read(after, this.#context.budget, Math.ceil((this.#context.head() - after) / pages.pageSize));
        this.#context.onPageRead();
        return store.readFrames?.(after, this.#context.pageSize, this.#stream) ?? Promise.resolve(undefined);
      },
      // The cache's pages end on multiples of its page size; a direct read ends a page size further.
      (after) => (pages === undefined ? after + this.#context.pageSize : (Math.floor(after / pages.pageSize) + 1) * pages.pageSize),
    );
    const after = this.#cursor;
    const page = await this.#readAhead.take(after);
    // Unbounded, a storm's readers of one page wrote it to hundreds of sockets in one turn (and a reader
    // whose socket took it at once went on to the next held page): the bytes wait for a turn instead.
    if (page?.shared === true) await this.#context.sharedBytes.take(page.frames.length);
    if (this.#closed) return false;
    if (page === undefined) {
      // Nothing after the cursor although the head is past it: retention removed the rest.
      this.#readAhead.clear();
      const bounds = await store.bounds();
      if (this.#closed || bounds.first <= this.#cursor + 1) return false;
      const gap = this.#gap(bounds.first - 1);
      this.#cursor = bounds.first - 1;
      this.#write([], gap);
      return true;
    }
    // seqs are contiguous and never reused, so a hole before the first row was removed by retention.
    const gap = page.firstSeq > after + 1 ? this.#gap(page.firstSeq - 1) : '';
    this.#cursor = page.lastSeq;
    this.#countCatchingUp(true);
    this.#context.onDelivered(page.count);
    this.#write(gap === '' ? [page.frames] : [Buffer.from(gap), page.frames], this.#lags.behind(head - this.#cursor), true);
    // Pages read ahead count against the budget when asked for; the page cache takes it itself.
    const mayRead = (): boolean => pages !== undefined || this.#context.budget.tryTake();
    if (this.#waitingSince !== 0) this.#readAhead.fill(this.#cursor, this.#context.head(), mayRead);
    return true;
  }

  /** Writes `end` (id: the last entry's) and closes with `ended`. */
  #finish(ended: EndInfo, lastSeq: number): void {
    const end: EndEvent = { lastId: this.#id(lastSeq), ...ended };
    this.close('ended', encodeEndEvent(end));
  }

  #gap(toSeq: number): string {
    const gap = gapEvent((seq) => this.#id(seq), this.#cursor, toSeq);
    this.#context.onGap(gap.missed);
    return gap.text;
  }

  #id(seq: number): string {
    return formatId(this.#stream, seq);
  }

  /**
   * Writes `buffers` then `text` (see writeChunks); waits for drain when the socket is full, and after a catch-up `page` while
   * more than the reader's share is in flight: the kernel takes pages until its send buffer (megabytes) is full.
   */
  #write(buffers: Buffer[], text: string, page = false): void {
    if (this.#closed || (buffers.length === 0 && text === '')) return;
    this.#lastWriteAt = Date.now();
    const room = writeChunks(this.#sink, buffers, text);
    const sink = this.#sink;
    const limit = page && sink.onceInFlightAtMost !== undefined ? this.#context.catchUpInFlight() : 0;
    const over = (): boolean => limit > 0 && sink.inFlightOver?.(limit) === true;
    if (this.#closed || this.#waitingSince !== 0 || (room && !over())) return;
    this.#waitingSince = this.#lastWriteAt;
    this.#bufferedSeen = sink.buffered;
    const resume = (): void => {
      this.#waitingSince = 0;
      this.wake();
    };
    if (room) sink.onceInFlightAtMost?.(limit, resume);
    else
      sink.onceDrain(() => {
        if (!over()) return resume();
        // Drain was progress: a stall is counted from it.
        this.#waitingSince = Date.now();
        sink.onceInFlightAtMost?.(limit, resume);
      });
  }

  #countCatchingUp(on: boolean): void {
    if (this.#catchingUp === on) return;
    this.#catchingUp = on;
    this.#context.catchingUp(on ? 1 : -1);
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#countCatchingUp(false);
    if (this.#untilTimer !== undefined) clearTimeout(this.#untilTimer);
    this.#context.onClosed(this);
  }
}
