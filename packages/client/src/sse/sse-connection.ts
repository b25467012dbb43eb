import { LivelogClientError } from '../errors.js';
import { errorOfAnswer } from '../http-request.js';
import { SseDecoder, type SseEvent } from './sse-decoder.js';

/** Where one connection's events go. */
export interface ConnectionSink {
  /** The server answered 200 with an event stream. */
  onOpen(): void;
  onBytes(count: number): void;
  /** Each dispatched event with data, in order. */
  onEvent(event: SseEvent): void;
  /** A dispatched event without data (an id-only event, or a blank line after a comment). */
  onEmptyDispatch(lastEventId: string): void;
  onRetry(ms: number): void;
  /**
   * The end of one received chunk: deliver what it held. Promises returned hold back reading the
   * next chunk (backpressure from slow consumers) and pause the watchdog.
   */
  onChunkEnd(): readonly PromiseLike<void>[];
  /** The chunk's deliveries settled: the cursor now stands for entries the consumer has. */
  onChunkDelivered(): void;
  /** The server's `close` event, once the body has ended: how the connection ended, if it sent one. */
  closeError(): LivelogClientError | undefined;
}

/** Options of one connection. */
export interface ConnectionOptions {
  url: string;
  headers: Record<string, string>;
  fetch: typeof fetch;
  /** The reader's cursor: the decoder's last event ID before anything arrives. */
  lastEventId: string;
  /** Silence that declares the connection dead before the server told its heartbeat, in ms. */
  watchdogMs: number;
  sink: ConnectionSink;
}

/**
 * One `fetch` of the event stream, read to its end. `run()` never rejects: it resolves with the
 * error that ended the connection (transient or fatal), which the stream turns into a retry or a stop.
 *
 * The watchdog is a deadline on silence, not on the connection: every chunk moves it, and a
 * heartbeat comment is a chunk, so an idle but healthy stream never trips it.
 */
export class SseConnection {
  readonly #options: ConnectionOptions;
  readonly #controller = new AbortController();
  #ended: LivelogClientError | undefined;
  #watchdogMs: number;
  #lastByteAt = 0;
  /** The `#lastByteAt` whose silence was already given one more turn of the event loop. */
  #gracedAt = -1;
  #paused = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.#watchdogMs = options.watchdogMs;
  }

  /** True once the connection was aborted or ended. */
  get ended(): boolean {
    return this.#ended !== undefined;
  }

  /** Changes the silence limit (once `hello` told the server's heartbeat). */
  setWatchdog(ms: number): void {
    this.#watchdogMs = ms;
    if (this.#ended === undefined) this.#arm();
  }

  /** Ends the connection; `run()` resolves with `reason` (the first reason given wins). */
  abort(reason: LivelogClientError): void {
    this.#ended ??= reason;
    // A pending watchdog would keep a Node process alive for its whole period after close().
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#controller.abort();
  }

  async run(): Promise<LivelogClientError> {
    this.#lastByteAt = Date.now();
    this.#arm();
    try {
      return await this.#read();
    } finally {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#controller.abort();
    }
  }

  async #read(): Promise<LivelogClientError> {
    const { sink } = this.#options;
    let response: Response;
    try {
      response = await this.#options.fetch(this.#options.url, {
        headers: { accept: 'text/event-stream', ...this.#options.headers },
        signal: this.#controller.signal,
        cache: 'no-store',
      });
    } catch (error) {
      return this.#ended ?? networkError(error);
    }
    if (this.#ended !== undefined) return this.#ended;
    if (response.status === 204) {
      return new LivelogClientError('LIVELOG_CLIENT_ERR_NO_CONTENT', 'the server answered 204 No Content: not reconnecting', {
        status: 204,
      });
    }
    if (!response.ok) return this.#ended ?? (await errorOfAnswer(response));
    const type = response.headers.get('content-type') ?? '';
    if (!/^text\/event-stream\b/i.test(type) || response.body === null) {
      void response.body?.cancel().catch(() => undefined);
      return new LivelogClientError('LIVELOG_CLIENT_ERR_NOT_SSE', `expected text/event-stream, got ${type || 'no Content-Type'}`, {
        status: response.status,
      });
    }
    sink.onOpen();
    const reader = response.body.getReader();
    // Once aborted, the rest of a chunk being decoded is not delivered: the stream resumes from
    // the cursor as it was when the abort happened.
    const decoder = new SseDecoder(
      {
        onEvent: (event) => {
          if (this.#ended === undefined) sink.onEvent(event);
        },
        onEmptyDispatch: (id) => {
          if (this.#ended === undefined) sink.onEmptyDispatch(id);
        },
        onRetry: (ms) => sink.onRetry(ms),
      },
      this.#options.lastEventId,
    );
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        // A `close` event that arrived says how the connection ended, even if the bytes after it were cut.
        return this.#ended ?? sink.closeError() ?? networkError(error);
      }
      if (this.#ended !== undefined) return this.#ended;
      if (result.done) {
        return sink.closeError() ?? new LivelogClientError('LIVELOG_CLIENT_ERR_ENDED', 'the server ended the stream without a close event');
      }
      this.#lastByteAt = Date.now();
      sink.onBytes(result.value.byteLength);
      decoder.feed(result.value);
      const pending = sink.onChunkEnd();
      if (pending.length > 0) {
        this.#paused = true;
        try {
          await Promise.all(pending);
        } finally {
          this.#paused = false;
          this.#lastByteAt = Date.now();
        }
      }
      sink.onChunkDelivered();
      if (this.#ended !== undefined) return this.#ended;
    }
  }

  #arm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const due = this.#lastByteAt + this.#watchdogMs - Date.now();
    this.#timer = setTimeout(() => this.#check(), Math.max(0, due));
  }

  #check(): void {
    this.#timer = undefined;
    if (this.#ended !== undefined) return;
    // Waiting for our own consumer is not silence from the server.
    if (this.#paused || Date.now() - this.#lastByteAt < this.#watchdogMs) {
      if (this.#paused) this.#lastByteAt = Date.now();
      this.#arm();
      return;
    }
    // After this process itself stalled (a long GC, a busy page, SIGSTOP), timers run before the
    // I/O that waited meanwhile: bytes already in the socket are read only after this check. One more
    // turn lets them in, so a healthy connection is not cut for our own pause; a dead one still is.
    if (this.#gracedAt !== this.#lastByteAt) {
      this.#gracedAt = this.#lastByteAt;
      this.#timer = setTimeout(() => this.#check(), 0);
      return;
    }
    this.abort(
      new LivelogClientError('LIVELOG_CLIENT_ERR_WATCHDOG', `no data for ${this.#watchdogMs} ms: the connection is presumed dead`),
    );
  }
}

function networkError(error: unknown): LivelogClientError {
  const message = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
  return new LivelogClientError('LIVELOG_CLIENT_ERR_NETWORK', `connection failed: ${message}`, { cause: error });
}
