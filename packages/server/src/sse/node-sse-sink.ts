import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { SseSink } from '@livelog/core';

/** Response headers of every SSE stream. */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  // no-transform keeps compressing proxies from buffering events.
  'cache-control': 'no-cache, no-transform',
  // nginx buffers proxied responses unless told not to; a buffered stream is a stalled stream.
  'x-accel-buffering': 'no',
} as const;

/** How long an ended stream may take to flush before its connection is dropped. */
const END_GRACE_MS = 2000;

/** An SSE sink over a Node HTTP response. */
export class NodeSseSink implements SseSink {
  readonly #response: ServerResponse;
  #closed = false;
  readonly #closeListeners: (() => void)[] = [];

  constructor(request: IncomingMessage, response: ServerResponse) {
    this.#response = response;
    const markClosed = (): void => {
      if (this.#closed) return;
      this.#closed = true;
      for (const listener of this.#closeListeners.splice(0)) listener();
    };
    response.once('close', markClosed);
    request.socket.once('close', markClosed);
    // Small frames should leave at once; Nagle would hold them back by up to 40 ms.
    request.socket.setNoDelay(true);
    request.socket.setTimeout(0);
  }

  /** Sends the status line and SSE headers, after `extra` headers (CORS, the app's own). */
  open(extra: OutgoingHttpHeaders = {}): void {
    this.#response.writeHead(200, {
      ...extra,
      ...SSE_HEADERS,
      ...(this.#response.req.httpVersionMajor === 1 ? { connection: 'keep-alive' } : {}),
    });
    this.#response.flushHeaders();
  }

  get closed(): boolean {
    return this.#closed || this.#response.destroyed || this.#response.writableEnded;
  }

  get buffered(): number {
    return this.#response.writableLength;
  }

  write(chunk: Buffer | string): boolean {
    if (this.closed) return true;
    return this.#response.write(chunk);
  }

  onceDrain(listener: () => void): void {
    this.#response.once('drain', listener);
  }

  onceClose(listener: () => void): void {
    if (this.#closed) queueMicrotask(listener);
    else this.#closeListeners.push(listener);
  }

  end(): void {
    if (this.#response.writableEnded) return;
    this.#response.end();
    // A reader that stopped reading would hold the connection (and a server's shutdown) forever.
    const timer = setTimeout(() => this.#response.destroy(), END_GRACE_MS);
    timer.unref();
    this.#response.once('close', () => clearTimeout(timer));
  }

  destroy(): void {
    this.#response.destroy();
  }
}
