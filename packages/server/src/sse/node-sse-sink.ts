import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { encodeComment, type SseSink } from '@livelog/core';
import { socketFd, writevWhenIdle, writeWhenIdle } from './idle-socket-write.js';
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
const CRLF = Buffer.from('\r\n', 'latin1');

/**
 * The last chunk header made: a fan-out writes the same batch, so the same length, to every reader.
 */
let lastHeader = { length: -1, bytes: CRLF };

/** `<length in hex>\r\n`, the header of an HTTP/1.1 chunk of `length` bytes. */
function chunkHeader(length: number): Buffer {
  if (lastHeader.length !== length) lastHeader = { length, bytes: Buffer.from(`${length.toString(16)}\r\n`, 'latin1') };
  return lastHeader.bytes;
}

/** Node's state of a response that `write` and `heartbeat` check before going around it. */
interface ResponseInternals {
  /** True once the status line and headers were handed to the socket (flushHeaders), not just set. */
  _headerSent?: boolean;
  /** False for HEAD, 204 and 304: the response drops what is written. */
  _hasBody?: boolean;
}

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
  /** The socket's descriptor for writes around the response (see writevWhenIdle), once read. */
  #fd: number | undefined;
  /** How this response's body is framed on the wire, once its headers are out (see #framing). */
  #bodyFraming: 'chunked' | 'bare' | 'other' | undefined;
  /** Bytes written straight to the descriptor: no counter of the socket's or libuv's has them. */
  #sentDirect = 0;
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
    // The kernel got the descriptor's bytes too: they count in what it may still hold.
    const sent = (): number => handle.bytesWritten - handle.writeQueueSize + this.#sentDirect;
    const inKernel = Math.min(sendQueues.estimate(socket, sent) ?? Number.POSITIVE_INFINITY, sent());
    return response.writableLength - socket.writableLength + (socket.bytesWritten + this.#sentDirect - sent()) + inKernel;
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

  /**
   * Entry frames go straight to the socket's descriptor when nothing waits before the kernel: one
   * `writev(2)` of the chunk's header, the frames (the ring's buffer, shared by every reader) and its
   * trailer. `response.write` costs ~10 µs of JS per call around the system call (chunk framing, cork
   * and a nextTick uncork, Writable's state, a WriteWrap, the after-write tick); a fan-out of one batch
   * to 100 readers is 100 of them in one turn, and the mean reader waits for half of them (issue 12,
   * items 3, 4, 7). What the kernel does not take goes to the socket's queue, already framed, so it keeps
   * its place before any later write and the socket's `drain` tells when there is room again (see
   * onceDrain). Strings (control events, rare) and a busy socket take the response's own path.
   */
  write(chunk: Buffer | string): boolean {
    if (this.closed) return true;
    const response = this.#response;
    const socket = response.socket;
    // An empty chunk would be `0\r\n\r\n`, the end of the body; the response writes nothing for it.
    if (typeof chunk === 'string' || chunk.length === 0 || socket === null || socket.writableLength !== 0) return response.write(chunk);
    const framing = this.#framing(socket);
    if (framing === undefined) return response.write(chunk);
    this.#sentDirect += writevWhenIdle(socket, framing === 'chunked' ? [chunkHeader(chunk.length), chunk, CRLF] : [chunk], this.#fd);
    return !socket.writableNeedDrain;
  }

  /**
   * How the body may be written around the response, or undefined when it must go through it: only
   * once the headers are in the socket and nothing of the response waits outside it (`outputSize`), so
   * bytes keep their order; only for HTTP/1.1 chunked bodies and HTTP/1.0 unframed ones (where Node
   * delimits the body by closing the connection); never where the descriptor cannot be written (TLS,
   * Windows: see socketFd).
   */
  #framing(socket: Socket): 'chunked' | 'bare' | undefined {
    const response = this.#response;
    if (this.#bodyFraming === undefined) {
      const internals = response as unknown as ResponseInternals;
      if (internals._headerSent !== true) return undefined;
      const request = response.req;
      const bare = request.httpVersionMajor === 1 && request.httpVersionMinor === 0 && !response.hasHeader('content-length');
      this.#fd = socketFd(socket);
      const framing = response.chunkedEncoding ? 'chunked' : bare ? 'bare' : 'other';
      this.#bodyFraming = internals._hasBody === false || this.#fd < 0 ? 'other' : framing;
    }
    const framing = this.#bodyFraming;
    if (framing === 'other' || socket.destroyed || response.writableLength !== socket.writableLength) return undefined;
    return framing;
  }

  /**
   * Heartbeats go straight to the socket, already framed as a chunk, where entry frames would (see
   * write and #framing); otherwise the ordinary path. Cost at 20,000 idle readers: `response.write`
   * was about a third of what each heartbeat cost the server (bench scenario readers20k).
   */
  heartbeat(): void {
    if (this.closed) return;
    const response = this.#response;
    const socket = response.socket;
    const framing = socket === null ? undefined : this.#framing(socket);
    if (framing === undefined || socket === null) response.write(HEARTBEAT_BARE);
    else this.#sentDirect += writeWhenIdle(socket, framing === 'chunked' ? HEARTBEAT_CHUNK : HEARTBEAT_BARE, this.#fd);
  }

  /**
   * After a write that returned false. A rest that `write` handed the socket itself (see writevWhenIdle)
   * leaves the response's own `drain` unarmed: the socket's comes then, as it does, first, for the
   * response's writes.
   */
  onceDrain(listener: () => void): void {
    const socket = this.#response.socket;
    if (socket?.writableNeedDrain === true) socket.once('drain', listener);
    else this.#response.once('drain', listener);
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
