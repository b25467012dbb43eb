import {
  type CursorStorage,
  isLivelogClientError,
  type LogStream,
  openStream,
  type ServerOptions,
  type StreamEventMap,
  type StreamStart,
} from '@livelog/client';
import { decodeCursor, type GapEvent, type LogEntry } from '@livelog/protocol';
import { badQueryText } from './describe-error.js';
import type { ServerFilter } from './line-filter.js';
import { LineRate } from './line-rate.js';
import type { LogBuffer } from './log-buffer.js';
import type { SourceList } from './source-list.js';
import type { StatusLine } from './status-line.js';

/** How often a page showing a stream that does not exist yet looks again, in ms. */
const STREAM_POLL_MS = 2000;
const WAITING_FOR_STREAM = ': waiting for its first line';
/** The 403s another token may cure (not, say, a cross-site refusal). */
const TOKEN_FORBIDDEN = new Set(['LIVELOG_ERR_AUTH_FORBIDDEN', 'LIVELOG_ERR_AUTH_STREAM_FORBIDDEN']);

/** What the stream tells the element that shows it (the part of the model's events it raises). */
export interface FeedEvents {
  changed(): void;
  appended(count: number): void;
  received?(batch: readonly LogEntry[]): void;
  gap(gap: GapEvent): void;
  /** The stream started over on another log (its position was foreign): what was counted of the old one is void. */
  restarted?(): void;
}

/** The model's state the stream keeps up to date: all of it shown by the model as it is. */
export interface FeedModel {
  readonly buffer: LogBuffer;
  readonly mode: 'live' | 'detached';
  olderAvailable: boolean;
  readonly sources: SourceList;
  readonly statusLine: StatusLine;
  received: number;
  readonly lastGap: GapEvent | undefined;
  notice: string | undefined;
  readonly maxLines: number;
  newest: number | undefined;
  needsToken: boolean;
  tokenForbidden: string | undefined;
  queryError: string | undefined;
  readonly serverFilter: ServerFilter;
  reloadLive(): void;
  /** Announces a gap the server reported and, with `mark`, marks it after the newest loaded line. */
  noteGap(gap: GapEvent, mark: boolean): void;
}

/** What a feed reads from its model that the model keeps to itself. */
export interface FeedContext {
  /** The local predicate: lines counted as new in detached mode are those it keeps. */
  match(): (entry: LogEntry) => boolean;
  /** The model's reload count: events of a stream opened before the last reload are ignored. */
  generation(): number;
}

/**
 * The live side of a LogModel: the one stream it has open, and the bookkeeping of every line and
 * event the stream delivers (appended in live mode, only counted when detached; the status line,
 * the sources, the rate, the cursor saved for a reload). Paging through history stays in the model.
 */
export class LiveFeed {
  readonly #server: ServerOptions;
  readonly #events: FeedEvents;
  readonly #cursor: CursorStorage | undefined;
  readonly #model: FeedModel;
  readonly #context: FeedContext;
  readonly #rate = new LineRate();
  #stream: LogStream | undefined;
  /** The oldest seq the server retained when the stream said hello: nothing is older than a line at or before it. */
  #retainedFirst: number | undefined;
  /** While waiting for the stream to exist: why it does not (said until it does). */
  #waiting: 'does not exist yet' | 'was deleted' | undefined;

  constructor(server: ServerOptions, events: FeedEvents, cursor: CursorStorage | undefined, model: FeedModel, context: FeedContext) {
    this.#server = server;
    this.#events = events;
    this.#cursor = cursor;
    this.#model = model;
    this.#context = context;
  }

  /** The id the stream would resume after now ('' before its first event, or with no stream). */
  get lastEventId(): string {
    return this.#stream?.lastEventId ?? '';
  }

  /** Lines per second written while this reader watches, over the last few seconds (live arrivals only). */
  rate(now: number): number {
    return this.#rate.perSecond(now);
  }

  /** Cuts a reconnect wait short and connects again at once. */
  reconnectNow(): void {
    this.#stream?.reconnectNow();
  }

  close(): void {
    // Cleared first: a closing stream reports `closed`, which must not show as this console's state.
    const stream = this.#stream;
    this.#stream = undefined;
    stream?.close();
  }

  /** Seq of the stream's position (advanced by entries and id-only progress), if it has one. */
  position(): number | undefined {
    const decoded = decodeCursor(this.#stream?.lastEventId ?? '');
    return decoded.ok ? decoded.cursor.seq : undefined;
  }

  open(start: StreamStart): void {
    const model = this.#model;
    const generation = this.#context.generation();
    this.#retainedFirst = undefined;
    const stream = openStream({ ...this.#server, filter: model.serverFilter, start });
    // Events of a stream this model has since replaced (a reload, a new filter) are ignored.
    const on = <K extends keyof StreamEventMap>(name: K, handler: (payload: StreamEventMap[K]) => void): void => {
      stream.on(name, (payload) => {
        if (generation === this.#context.generation() && this.#stream === stream) handler(payload);
      });
    };
    let everOpened = false;
    on('entries', (batch) => this.#onEntries(batch));
    on('hello', (hello) => {
      everOpened = true;
      this.#retainedFirst = hello.first;
      // Nothing retained: every line to come is the oldest there is.
      if (hello.first > hello.last && model.buffer.size === 0 && model.mode === 'live') model.olderAvailable = false;
      this.#noteStart();
      model.newest = Math.max(model.newest ?? 0, hello.last);
      this.#rate.since(hello.last);
      model.sources.hello(hello.stream);
      model.statusLine.hello(hello.last, this.position());
    });
    on('gap', (gap) => {
      // Detached, the lines around the gap are not loaded: a page read forward marks it when they are.
      model.noteGap(gap, model.mode === 'live');
      this.#events.changed();
    });
    // The position is foreign (data wiped, another server, the stream deleted and written again) or
    // malformed: what is loaded no longer joins the stream, so start over from the tail.
    // A deleted stream is not restarted here: its terminal close follows (see `status`).
    on('reset', (reset) => {
      if (reset.reason === 'deleted') return;
      queueMicrotask(() => {
        // Another log: its newest seq is not the old one's, and what was counted of the old one is void.
        if (reset.reason === 'foreign') model.newest = undefined;
        model.reloadLive();
        this.#events.restarted?.();
      });
    });
    on('end', (end) => {
      model.statusLine.ended({
        time: end.time,
        ...(end.exitCode === undefined ? {} : { exitCode: end.exitCode }),
        ...(end.reason === undefined ? {} : { reason: end.reason }),
      });
      this.#events.changed();
    });
    on('lag', (lag) => {
      model.statusLine.lagReported(lag.behind, this.position());
      this.#events.changed();
    });
    on('status', (status) => {
      // A job's stream exists once its first line is written; a page opened before that waits for it.
      if (status.state === 'closed' && status.error?.code === 'LIVELOG_CLIENT_ERR_STREAM_NOT_FOUND') {
        this.#waitForStream(start, generation, this.#waiting ?? 'does not exist yet');
        return;
      }
      // A job's stream deleted and written again under the same name (a re-run) is a new stream: wait
      // for it as for one not written yet. The lines shown stay until it is back; reopened from their
      // position, the server calls it foreign (`reset`), and the view reloads with the new stream's lines.
      if (status.state === 'closed' && status.error?.code === 'LIVELOG_CLIENT_ERR_STREAM_DELETED') {
        const position = stream.lastEventId;
        this.#waitForStream(position === '' ? start : { lastEventId: position }, generation, 'was deleted');
        return;
      }
      if (status.state === 'open' && model.notice?.endsWith(WAITING_FOR_STREAM)) model.notice = undefined;
      if (status.state === 'open') this.#waiting = undefined;
      if (status.state !== 'open') this.#rate.stop();
      if (status.state === 'closed' && isLivelogClientError(status.error) && status.error.serverCode === 'LIVELOG_ERR_BAD_QUERY') {
        model.queryError = badQueryText(status.error.message);
      }
      // A 401 ends the stream: the element asks for a token rather than showing the code. So does a 403
      // for a token that may not read this stream (no `read` scope, or stream patterns that do not
      // cover it): a token typed into the prompt stays in the tab, and every reload would send it again
      // with no way left to enter another.
      const refused = status.state === 'closed' && isLivelogClientError(status.error) ? status.error : undefined;
      const forbidden = refused?.status === 403 && TOKEN_FORBIDDEN.has(refused.serverCode ?? '') ? refused.serverCode : undefined;
      model.needsToken = refused?.status === 401 || forbidden !== undefined;
      model.tokenForbidden = forbidden;
      model.statusLine.connectionChanged(status, everOpened);
      this.#events.changed();
    });
    on('cursor', (lastEventId) => {
      model.statusLine.progress(this.position());
      this.#cursor?.save(lastEventId);
    });
    this.#stream = stream;
  }

  /**
   * The tail a live stream delivers may reach the oldest retained line (a short job's whole log):
   * then there is nothing to scroll up to, and the edge says so instead of offering older lines.
   */
  #noteStart(): void {
    const model = this.#model;
    const first = model.buffer.firstSeq;
    if (model.mode !== 'live' || this.#retainedFirst === undefined || first === undefined) return;
    if (first <= this.#retainedFirst) model.olderAvailable = false;
  }

  /** Says the stream does not exist (yet, or any more), and opens it again a little later, as long as nothing else was asked for. */
  #waitForStream(start: StreamStart, generation: number, why: 'does not exist yet' | 'was deleted'): void {
    this.#waiting = why;
    this.#model.notice = `stream ${this.#server.stream ?? 'default'} ${why}${WAITING_FOR_STREAM}`;
    this.#model.statusLine.connectionChanged({ state: 'connecting', attempt: 0, nextRetryMs: undefined, lastEventId: '' }, false);
    this.#events.changed();
    setTimeout(() => {
      if (generation !== this.#context.generation()) return;
      this.close();
      this.open(start);
    }, STREAM_POLL_MS);
  }

  #onEntries(batch: readonly LogEntry[]): void {
    const model = this.#model;
    model.received += batch.length;
    this.#events.received?.(batch);
    this.#rate.arrived(batch);
    model.newest = Math.max(model.newest ?? 0, batch.at(-1)?.seq ?? 0);
    model.sources.noteLines(batch);
    model.statusLine.delivered(batch);
    let visible = 0;
    if (model.mode === 'live') {
      const before = model.buffer.rows.length;
      model.buffer.append(batch);
      visible = model.buffer.rows.length - before;
      if (model.buffer.trimOldest(model.maxLines) > 0) model.olderAvailable = true;
      else this.#noteStart();
    } else {
      const match = this.#context.match();
      for (const entry of batch) if (match(entry)) visible++;
    }
    model.statusLine.progress(this.position());
    if (visible > 0) this.#events.appended(visible);
    this.#events.changed();
  }
}
