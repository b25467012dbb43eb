/**
 * Where a subscription writes its SSE bytes: one HTTP response. The server adapts Node's
 * ServerResponse to it; core never sees HTTP.
 */
export interface SseSink {
  /** Writes bytes; `false` when the socket's buffer is over its mark and the writer must wait for drain. */
  write(chunk: Buffer | string): boolean;
  /**
   * Writes one heartbeat comment (`:\n`, see encodeComment), cheaper than `write` where the sink can (one pre-encoded
   * buffer straight to the socket). Backpressure is not reported: a few bytes more on a full socket
   * are harmless, and the next `write` reports it. Without it, `write(':\n')` is used.
   */
  heartbeat?(): void;
  /** Calls `listener` once, the next time the socket can take more. */
  onceDrain(listener: () => void): void;
  /** Calls `listener` once when the connection is gone, whoever closed it. */
  onceClose(listener: () => void): void;
  /** Ends the response after what was written. */
  end(): void;
  /** Drops the connection at once, without waiting for buffered bytes. */
  destroy(): void;
  /** True once the connection is gone or ending. */
  readonly closed: boolean;
  /**
   * Bytes written that the reader has not yet taken, as far as the sink can see (the server's
   * buffers, and the kernel's send queue where the platform shows it). While it falls the reader is
   * reading, however slowly: a stall is a socket that takes nothing, not one that takes a large write
   * slowly. A figure that stops at the kernel's edge falls only when the kernel wakes the writer, after
   * a third of a send buffer that grows to megabytes.
   */
  readonly buffered: number;
  /**
   * True when more than `bytes` are known to be in flight to the reader: written and not yet taken,
   * the kernel's send queue included (where the sink can see it; a sink that cannot says false).
   * With `onceInFlightAtMost`, lets catch-up wait on the reader rather than fill a kernel send buffer
   * that grows to megabytes per socket (a reconnect storm queued a gigabyte in them).
   */
  inFlightOver?(bytes: number): boolean;
  /** Calls `listener` once at most `bytes` are in flight (never when the connection is gone first). */
  onceInFlightAtMost?(bytes: number, listener: () => void): void;
}
