import type { CloseEvent, EndEvent, EndInfo, HelloEvent, LogEntry } from '@livelog/protocol';
import { type CursorStorage, persistedCursor } from './browser/cursor-storage.js';
import { takeRelayed } from './browser/relayed-events.js';
import { canShareTabs, type RelayMessage, TabShare } from './browser/tab-share.js';
import { watchWakeTriggers } from './browser/wake-triggers.js';
import { ConnectionIntake } from './connection-intake.js';
import { LivelogClientError } from './errors.js';
import { addFilterParams, apiUrl, errorOfClose, fetchOf, requestHeaders, streamUrl } from './http-request.js';
import { Backoff } from './reconnect.js';
import { SseConnection } from './sse/sse-connection.js';
import type { SseEvent } from './sse/sse-decoder.js';
import { StreamDelivery } from './stream-delivery.js';
import { type IterateOptions, iterateEntries } from './stream-iterator.js';
import type { OpenStreamOptions } from './stream-options.js';
import type { StreamStats } from './stream-stats.js';
import type { StreamEventMap, StreamStatus } from './stream-status.js';
import type { Listener } from './typed-emitter.js';

/** How long an ended leader keeps the tab lock, so followers hear the relayed end first. */
const END_LOCK_HOLD_MS = 1000;

/**
 * A live, resumable stream of entries. It reconnects by itself (forever by default) and resumes
 * from the last event id it dispatched, so listeners see every entry once, in order.
 * @see openStream
 */
export class LogStream {
  readonly #options: OpenStreamOptions;
  readonly #backoff: Backoff;
  readonly #delivery: StreamDelivery;
  readonly #streamKey: string;
  readonly #storage: CursorStorage | undefined;
  readonly #stopWake: () => void;
  #share: TabShare | undefined;
  #closed = false;
  #running = false;
  #connection: SseConnection | undefined;
  #wakeSleep: (() => void) | undefined;
  #skipWait = false;
  #openedAt: number | undefined;
  #lostAt: number | undefined;
  #everOpened = false;
  #serverClose: CloseEvent | undefined;
  /** The `retry:` the current connection sent, if any. */
  #connectionRetryMs: number | undefined;
  readonly #intake: ConnectionIntake;
  #failedInARow = 0;
  #notSseInARow = 0;
  /** The stream's `end`, once it arrived: every entry before it was delivered, and the stream stops. */
  #end: EndEvent | undefined;

  /** Use openStream(). */
  constructor(options: OpenStreamOptions) {
    this.#options = options;
    this.#backoff = new Backoff(options.backoff);
    const filter = new URLSearchParams();
    addFilterParams(filter, options.filter);
    // Validates `options.stream` too: a bad name throws here, not as a 400 on every reconnect.
    this.#streamKey = apiUrl(options.url, 'stream', filter, options.stream);
    this.#storage = persistedCursor(options.persist, this.#streamKey);
    this.#delivery = new StreamDelivery(filter.toString() !== '', this.#storage);
    this.#intake = new ConnectionIntake(this.#delivery, (error) => this.#connection?.abort(error));
    this.#stopWake = watchWakeTriggers({
      onOnline: () => {
        if (this.#delivery.status.state === 'waiting') this.reconnectNow();
      },
      onVisibleAfterHidden: () => this.reconnectNow(),
      hiddenMs: options.visibleReconnectMs ?? 60_000,
    });
    options.signal?.addEventListener('abort', () => this.close(), { once: true });
    if (options.signal?.aborted) queueMicrotask(() => this.close());
  }

  /** Starts connecting (openStream calls it after listeners could be added synchronously). */
  start(): this {
    if (this.#running || this.#closed) return this;
    this.#running = true;
    const shareOption = this.#options.share;
    if (shareOption !== undefined && shareOption !== false && canShareTabs()) {
      const key = (shareOption === true ? undefined : shareOption.key) ?? this.#streamKey;
      this.#share = new TabShare(key, {
        onLeader: () => {
          void this.#run();
        },
        onMessage: (message) => this.#onRelay(message),
      });
      this.#delivery.relayTo(this.#share);
      this.#share.start();
    } else {
      void this.#run();
    }
    return this;
  }

  /** Adds a listener; returns a function that removes it. A listener's promise holds back reading. */
  on<K extends keyof StreamEventMap>(event: K, listener: Listener<StreamEventMap[K]>): () => void {
    return this.#delivery.emitter.on(event, listener);
  }

  off<K extends keyof StreamEventMap>(event: K, listener: Listener<StreamEventMap[K]>): void {
    this.#delivery.emitter.off(event, listener);
  }

  /** The position a reconnect resumes from: the id of the last dispatched event. */
  get lastEventId(): string {
    return this.#delivery.lastEventId;
  }

  /**
   * How the stream ended (`POST /api/streams/{name}/end`): set once its `end` event arrived, after
   * every entry before it was delivered; the stream is closed then. Undefined while it is open.
   */
  get ended(): EndInfo | undefined {
    const end = this.#end;
    if (end === undefined) return undefined;
    return {
      time: end.time,
      ...(end.exitCode === undefined ? {} : { exitCode: end.exitCode }),
      ...(end.reason === undefined ? {} : { reason: end.reason }),
    };
  }

  /** The latest status. */
  get status(): StreamStatus {
    return this.#delivery.status;
  }

  /** A snapshot of the counters. */
  stats(): StreamStats {
    const role = this.#share === undefined ? 'single' : this.#share.leader ? 'leader' : 'follower';
    return this.#delivery.stats.snapshot(this.#delivery.lastEventId, role);
  }

  /**
   * Drops the current connection, or cuts a backoff wait short, and connects again at once from the
   * cursor. Calling it many times at once still makes one connection: there is only one loop.
   */
  reconnectNow(): void {
    if (this.#closed) return;
    if (this.#wakeSleep !== undefined) {
      this.#wakeSleep();
      return;
    }
    if (this.#connection !== undefined) {
      this.#skipWait = true;
      this.#connection.abort(new LivelogClientError('LIVELOG_CLIENT_ERR_RECONNECT', 'reconnect requested'));
    }
  }

  /** Stops the stream for good: no more events after the final `status` (`closed`). */
  close(): void {
    this.#finish(undefined);
  }

  /** The entries as an async iterator; leaving the loop early closes the stream. */
  entries(options?: IterateOptions): AsyncIterableIterator<LogEntry> {
    return iterateEntries(this, options);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<LogEntry> {
    return this.entries();
  }

  async #run(): Promise<void> {
    const delivery = this.#delivery;
    // A follower tab promoted to leader already holds the last relayed cursor.
    if (delivery.lastEventId === '') delivery.lastEventId = this.#storage?.load() ?? this.#options.start?.lastEventId ?? '';
    while (!this.#closed) {
      delivery.stats.attempts++;
      delivery.setStatus({ state: 'connecting', attempt: this.#backoff.failures, nextRetryMs: undefined });
      const lastEventId = delivery.lastEventId;
      const connection = new SseConnection({
        url: streamUrl(this.#options, this.#everOpened),
        headers: requestHeaders(this.#options, lastEventId === '' ? {} : { 'last-event-id': lastEventId }),
        fetch: fetchOf(this.#options),
        lastEventId,
        watchdogMs: this.#options.connectTimeoutMs ?? 37_500,
        sink: {
          onOpen: () => undefined,
          onBytes: (count) => {
            delivery.stats.bytes += count;
          },
          onEvent: (event) => this.#onEvent(event, connection),
          onEmptyDispatch: (id) => this.#onCursor(id),
          onRetry: (ms) => {
            this.#backoff.setServerRetry(ms);
            this.#connectionRetryMs = ms;
          },
          onChunkEnd: () => this.#intake.endChunk(),
          onChunkDelivered: () => {
            delivery.delivered();
            // After `end` the server only closes; nothing more is read, whether its close comes or not.
            if (this.#end !== undefined) connection.abort(new LivelogClientError('LIVELOG_CLIENT_ERR_RECONNECT', 'the stream ended'));
          },
          closeError: () => this.#closeError(),
        },
      });
      this.#connection = connection;
      this.#serverClose = undefined;
      this.#connectionRetryMs = undefined;
      const ended = await connection.run();
      this.#intake.flush();
      this.#connection = undefined;
      if (this.#closed) return;
      // An ended stream is complete: closed without an error, never reconnected.
      if (this.#end !== undefined || this.#closedForUntil()) {
        this.#finish(undefined);
        return;
      }
      const now = Date.now();
      const openedAt = this.#openedAt;
      this.#openedAt = undefined;
      this.#lostAt ??= now;
      if (ended.code === 'LIVELOG_CLIENT_ERR_WATCHDOG') delivery.stats.watchdogTimeouts++;
      // A response head cut short can look like a 200 of another type; three in a row is a wrong URL.
      this.#notSseInARow = ended.code === 'LIVELOG_CLIENT_ERR_NOT_SSE' ? this.#notSseInARow + 1 : 0;
      if (this.#notSseInARow >= 3) {
        this.#finish(new LivelogClientError(ended.code, ended.message, { fatal: true, ...(ended.status ? { status: ended.status } : {}) }));
        return;
      }
      if (ended.fatal) {
        this.#finish(ended);
        return;
      }
      if (openedAt !== undefined && now - openedAt >= this.#backoff.healthyAfterMs) this.#backoff.reset();
      if (openedAt === undefined) this.#failedInARow++;
      else this.#failedInARow = 0;
      if (this.#failedInARow >= this.#backoff.maxAttempts) {
        this.#finish(
          new LivelogClientError('LIVELOG_CLIENT_ERR_GAVE_UP', `gave up after ${this.#failedInARow} failed attempts: ${ended.message}`, {
            cause: ended,
          }),
        );
        return;
      }
      const attempt = this.#backoff.failures;
      const delay = this.#skipWait ? 0 : this.#backoff.fail(ended.retryAfterMs);
      this.#skipWait = false;
      delivery.setStatus({ state: 'waiting', attempt, nextRetryMs: delay, error: ended });
      if (delay > 0) await this.#sleep(delay);
    }
  }

  #onEvent(event: SseEvent, connection: SseConnection): void {
    if (this.#closed) return;
    if (event.type === 'message') {
      this.#intake.entry(event.data, event.lastEventId);
      return;
    }
    // Entries before a control event are delivered before it, with the cursor they reached.
    this.#intake.flush();
    if (connection.ended) return;
    let payload: unknown;
    try {
      payload = JSON.parse(event.data);
    } catch {
      this.#intake.malformed(event.lastEventId);
      return;
    }
    const id = event.lastEventId;
    this.#delivery.lastEventId = id;
    switch (event.type) {
      case 'hello': {
        const hello = payload as HelloEvent;
        if (hello.heartbeatMs > 0) connection.setWatchdog(hello.heartbeatMs * (this.#options.watchdogFactor ?? 2.5));
        this.#openedAt = Date.now();
        if (this.#everOpened && this.#lostAt !== undefined) this.#delivery.stats.resumed(this.#openedAt - this.#lostAt);
        this.#lostAt = undefined;
        this.#everOpened = true;
        this.#intake.control('hello', hello, id);
        this.#delivery.setStatus({ state: 'open', attempt: this.#backoff.failures, nextRetryMs: undefined });
        break;
      }
      case 'gap':
      case 'reset':
      case 'lag':
        this.#intake.control(event.type, payload as StreamEventMap['gap' | 'reset' | 'lag'], id);
        break;
      case 'end':
        this.#end = payload as EndEvent;
        this.#intake.control('end', this.#end, id);
        break;
      case 'close':
        this.#serverClose = payload as CloseEvent;
        break;
      default:
        break;
    }
  }

  #onCursor(id: string): void {
    if (this.#closed) return;
    // An id-only event after entries: they come first, and if one is damaged the cursor stays before it.
    this.#intake.flush();
    if (this.#connection?.ended !== true) this.#delivery.advance(id);
  }

  /** The server closed because the reader's `until` was reached: complete, never reconnected. */
  #closedForUntil(): boolean {
    return this.#serverClose?.reason === 'until';
  }

  #closeError(): LivelogClientError | undefined {
    if (this.#serverClose === undefined) return undefined;
    // A stream refused before it began (no `hello`: busy, unavailable, shutting down) asks to be
    // left alone for its `retry:`, as a 503's Retry-After does: a floor under the jittered backoff.
    const floor = this.#openedAt === undefined ? this.#connectionRetryMs : undefined;
    return errorOfClose(this.#serverClose, floor);
  }

  /** What the leader tab relayed, taken in as if this tab's own connection had read it. */
  #onRelay(message: RelayMessage): void {
    if (this.#closed) return;
    const outcome = takeRelayed(this.#delivery, message);
    if (outcome.kind === 'ended') {
      // The leader stops at the end, and so does every tab that heard it.
      this.#end = outcome.end;
      this.#finish(undefined);
    } else if (outcome.kind === 'failed') {
      this.#finish(outcome.error);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wakeSleep = undefined;
        resolve();
      }, ms);
      this.#wakeSleep = () => {
        clearTimeout(timer);
        this.#wakeSleep = undefined;
        resolve();
      };
    });
  }

  #finish(error: LivelogClientError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#connection?.abort(new LivelogClientError('LIVELOG_CLIENT_ERR_RECONNECT', 'closed'));
    this.#wakeSleep?.();
    this.#stopWake();
    this.#delivery.finish(error, this.#backoff.failures);
    this.#share?.close(this.#end === undefined ? 0 : END_LOCK_HOLD_MS);
  }
}

/**
 * Opens a resumable stream of log entries from a livelog server.
 *
 * It reads `GET /api/stream` with `fetch` (so it can send `Authorization`), resumes after any cut
 * from the last dispatched event id, reconnects with jittered exponential backoff (forever unless
 * `backoff.maxAttempts` says otherwise), treats silence longer than 2.5 heartbeats as a dead
 * connection, and stops only on answers retrying cannot fix (401, 403, 400, 404 for an unknown
 * stream), on the stream's `end` (then `ended` holds its exit code or reason), or on `close()`.
 * With `stream`, it reads `GET /api/streams/{name}/stream` instead.
 * @example
 * const stream = openStream({ url: 'http://127.0.0.1:7600', start: { tail: 100 }, filter: { level: 'warn' } });
 * stream.on('entries', (batch) => { for (const entry of batch) console.log(entry.seq, entry.msg); });
 * stream.on('gap', (gap) => console.warn(`${gap.missed} lines were pruned before we got them`));
 * stream.on('error', (error) => console.error(error.code, error.message));
 * @example
 * // A job's stream: every line, then the loop ends when the job ended the stream.
 * const job = openStream({ url, stream: 'build-1234', start: { fromStart: true } });
 * for await (const entry of job) console.log(entry.msg);
 * console.log('exit code', job.ended?.exitCode);
 * @see ../../../docs/reference/sse-protocol.md
 */
export function openStream(options: OpenStreamOptions): LogStream {
  const stream = new LogStream(options);
  // Connect on the next microtask, so listeners added right after openStream() miss nothing.
  queueMicrotask(() => stream.start());
  return stream;
}
