import { BatchShipper } from './batch-shipper.js';
import type { LogRecord } from './log-record.js';
import type { ShipperEventMap, ShipperEventName } from './shipper-events.js';
import { resolveShipperOptions, type ShipperOptions } from './shipper-options.js';
import type { ShipperReport } from './shipper-report.js';

/** Options of `flush` and `close`. */
export interface FlushOptions {
  /** Stop waiting after this many ms and report what is still unacknowledged. Defaults to no limit. */
  timeoutMs?: number;
  /**
   * Stop waiting once the server has settled (acknowledged or refused) no batch for this many ms,
   * counted from the call or the last settled batch: a slow but working server is waited for, a
   * stalled or unreachable one is not. Defaults to no limit. With `timeoutMs` too, whichever comes first.
   */
  idleTimeoutMs?: number;
}

/**
 * Ships log records to a livelog server: NDJSON batches, one Idempotency-Key per batch reused on
 * every retry of it, retries with backoff and jitter on network errors, timeouts, 408, 429 (and its
 * Retry-After) and 5xx, strict order (one request in flight), bounded memory, optional write-ahead
 * spool. Browser-safe: it uses only fetch and Web Crypto.
 *
 * Delivery guarantee: a record passed to `write` is stored by the server exactly once, in order, or
 * reported (a `rejected` event and the report of `flush`/`close`) — never dropped silently.
 * @see ../../../../docs/guides/shipping-logs.md
 */
export interface Shipper {
  /**
   * Takes one record (one too long for the server's line limit becomes several parts). Returns false when
   * memory holds `maxBufferedBytes` or more: the record is kept, and the caller should wait for
   * `waitForRoom()` before writing more. Throws after `close`.
   */
  write(record: LogRecord): boolean;
  /**
   * Takes one record already encoded as a line of JSON (NDJSON forwarded as is, or built by a caller
   * that encodes faster than `JSON.stringify` of an object). Same rules and result as `write`; a line
   * over the line limit is parsed and split like a record. Throws when the line holds a newline.
   */
  writeLine(line: string): boolean;
  /** Resolves once memory is under `maxBufferedBytes` again (at once when it is, or once closed). */
  waitForRoom(): Promise<void>;
  /**
   * Resolves once every record written so far is acknowledged or refused by the server, or when the
   * timeout passes; the report says exactly what is left.
   */
  flush(options?: FlushOptions): Promise<ShipperReport>;
  /**
   * Resolves once every record written so far is durable: fsync'ed in the spool, or, without a
   * spool, acknowledged by the server (as `flush`).
   */
  persist(): Promise<void>;
  /** Flushes (bounded by `timeoutMs`), stops retrying, releases the spool. Records left are reported, spooled ones stay for the next shipper. */
  close(options?: FlushOptions): Promise<ShipperReport>;
  /** Resolves once the spool is open and its leftovers are queued; rejects when it cannot be opened (then records live in memory only). */
  ready(): Promise<void>;
  /** Where every record stands now. */
  report(): ShipperReport;
  on<E extends ShipperEventName>(event: E, listener: (payload: ShipperEventMap[E]) => void): () => void;
}

/** Creates a shipper. For a disk spool in Node, use `createShipper` from `@livelog/client/node`. */
export function createShipper(options: ShipperOptions): Shipper {
  return new BatchShipper(resolveShipperOptions(options));
}
