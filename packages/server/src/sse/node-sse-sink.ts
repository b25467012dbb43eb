import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { encodeComment, type SseSink } from '@livelog/core';
import { socketFd, writeWhenIdle } from './idle-socket-write.js';
import { TcpSendQueues } from './tcp-send-queues.js';

/** Response headers of every SSE stream. */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  // no-transform keeps compressing proxies from buffering events.
  'cache-control': 'no-cache, no-transform',
  // nginx buffers proxied responses unless told not to; a buffered stream is a stalled stream.
  'x-accel-buffering': 'no',
} as const;

/** A heartbeat comment (encodeComment's) as one HTTP/1.1 chunk (`2` bytes: `:\n`), and bare for HTTP/1.0. */
const HEARTBEAT_CHUNK = Buffer.from(`2\r\n${encodeComment()}\r\n`, 'latin1');
const HEARTBEAT_BARE = Buffer.from(encodeComment(), 'latin1');

/** How long an ended stream may take to flush before its connection is dropped. */
const END_GRACE_MS = 2000;

/** One reader of the kernel's tables for all sinks: the tables hold every socket at once. */
const sendQueues = new TcpSendQueues();

/** Tells the sinks the stall limit in use, so that the kernel's queues are read a few times within it. */
export function useStallLimit(stallTimeoutMs: number): void {
  sendQueues.freshWithin(stallTimeoutMs / 3);
}

/** libuv's counters of a TCP handle: bytes handed to it, and of those the bytes not yet in the kernel. */
interface StreamHandle {
  bytesWritten: number;
  writeQueueSize: number;
}

/** The socket's libuv handle, where it has the counters (plain TCP; TLS counts plaintext instead). */
function tcpHandle(socket: Socket): StreamHandle | undefined {
  if ('encrypted' in socket) return undefined;
  const handle = (socket as unknown as { _handle?: Partial<StreamHandle> | null })._handle;
  if (typeof handle?.bytesWritten !== 'number' || typeof handle.writeQueueSize !== 'number') return undefined;
  return handle as StreamHandle;
}

/** An SSE sink over a Node HTTP response. */
export class NodeSseSink implements SseSink {
  readonly #response: ServerResponse;
  #closed = false;
  /** The socket's descriptor for heartbeats (see writeWhenIdle), once read. */
  #fd: number | undefined;
  readonly #closeListeners: (() => void)[] = [];

  constructor(request: IncomingMessage, response: ServerResponse) {
    this.#response = response;
    // `on`, not `once`: each `once` holds a wrapper object and a bound function per connection for
    // as long as it lives (~170 B of every idle reader); `#markClosed` runs its body once anyway.
    response.on('close', this.#markClosed);
    request.socket.on('close', this.#markClosed);
    // Small frames should leave at once; Nagle would hold them back by up to 40 ms.
    request.socket.setNoDelay(true);
    request.socket.setTimeout(0);
  }

  /** One function for both close listeners, shared rather than one closure each. */
  readonly #markClosed = (): void => {
    if (this.#closed) return;
    this.#closed = true;
    for (const listener of this.#closeListeners.splice(0)) listener();
  };

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

  /**
   * Bytes written and not yet acknowledged by the reader's TCP: the response's and the socket's
   * buffers, libuv's write queue (which shrinks on partial writes, where `writableLength` waits for a
   * whole write to finish), and the kernel's send queue, where Linux shows it. Without the kernel's
   * figure a reader taking 40 KB/s from a 4 MB loopback send buffer shows no progress for 30 s.
   */
  get buffered(): number {
    const response = this.#response;
    const socket = response.socket;
    const handle = socket === null ? undefined : tcpHandle(socket);
    const handedToSocket = socket?.bytesWritten;
    if (socket === null || handle === undefined || typeof handedToSocket !== 'number') return response.writableLength;
    const outsideSocket = response.writableLength - socket.writableLength;
    const inKernel = handle.bytesWritten - handle.writeQueueSize;
    return outsideSocket + (handedToSocket - inKernel) + (sendQueues.queued(socket) ?? 0);
  }

  /**
   * Bytes written and not yet taken, as for `buffered`, but never older than this moment: the kernel's
   * queue is the last reading's plus what the socket handed it since (as if the reader had taken none
   * since), and at most everything the socket ever handed it. Undefined where the kernel shows nothing.
   */
  #inFlight(): number | undefined {
    const response = this.#response;
    const socket = response.socket;
    const handle = socket === null ? undefined : tcpHandle(socket);
    if (socket === null || handle === undefined || !sendQueues.available) return undefined;
    const sent = (): number => handle.bytesWritten - handle.writeQueueSize;
    const inKernel = Math.min(sendQueues.estimate(socket, sent) ?? Number.POSITIVE_INFINITY, sent());
    return response.writableLength - socket.writableLength + (socket.bytesWritten - sent()) + inKernel;
  }

  inFlightOver(bytes: number): boolean {
    const inFlight = this.#inFlight();
    return inFlight !== undefined && inFlight > bytes;
  }

  onceInFlightAtMost(bytes: number, listener: () => void): void {
    const check = (): void => {
      if (this.closed) return;
      if (this.inFlightOver(bytes)) sendQueues.afterNextReading(check);
      else listener();
    };
    sendQueues.afterNextReading(check);
  }

  write(chunk: Buffer | string): boolean {
    if (this.closed) return true;
    return this.#response.write(chunk);
  }

  /**
   * Heartbeats go straight to the socket, already framed as a chunk: `response.write` costs ~10 µs
   * of JS per call (chunk framing, cork and a nextTick uncork), about a third of what each heartbeat
   * cost the server at 20,000 idle readers (bench scenario readers20k). Only when nothing of the
   * response waits outside the socket (`outputSize`, before a socket is assigned), so bytes keep
   * their order; otherwise, and for any framing but HTTP/1.1 chunked or HTTP/1.0 unframed, the
   * ordinary path. An idle socket (all of it in the kernel already) gets them with one `write(2)` on
   * its descriptor, skipping the stream machinery too (see writeWhenIdle).
   */
  heartbeat(): void {
    if (this.closed) return;
    const response = this.#response;
    const socket = response.socket;
    const direct = socket !== null && !socket.destroyed && response.headersSent && response.writableLength === socket.writableLength;
    const chunked = response.chunkedEncoding;
    // Unframed only where Node delimits the body by closing the connection: an HTTP/1.0 reader.
    const request = response.req;
    const bare = !chunked && request.httpVersionMajor === 1 && request.httpVersionMinor === 0 && !response.hasHeader('content-length');
    if (direct && (chunked || bare)) {
      this.#fd ??= socketFd(socket);
      writeWhenIdle(socket, chunked ? HEARTBEAT_CHUNK : HEARTBEAT_BARE, this.#fd);
    } else response.write(HEARTBEAT_BARE);
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
