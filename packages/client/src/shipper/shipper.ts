import { TypedEmitter } from '../typed-emitter.js';
import { backoffDelay } from './backoff.js';
import { type Batch, cutRefused, type RootFrame } from './batch.js';
import { createKeySource } from './batch-key.js';
import { encodeRecord, RecordTooLongError, utf8Length } from './encode-record.js';
import type { LogRecord } from './log-record.js';
import { postBatch } from './post-batch.js';
import type { ShipperEventMap, ShipperEventName, ShipperRejection } from './shipper-events.js';
import { type ResolvedShipperOptions, resolveShipperOptions, type ShipperOptions } from './shipper-options.js';
import type { ShipperReport } from './shipper-report.js';
import type { ShipperSpool } from './shipper-spool.js';

/** Options of `flush` and `close`. */
export interface FlushOptions {
  /** Stop waiting after this many ms and report what is still unacknowledged. Defaults to no limit. */
  timeoutMs?: number;
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

interface Waiter {
  target: number;
  resolve: () => void;
}

class BatchShipper implements Shipper {
  readonly #options: ResolvedShipperOptions;
  readonly #events = new TypedEmitter<ShipperEventMap>();
  readonly #nextKey = createKeySource();
  #spool: ShipperSpool | undefined;
  #open: string[] = [];
  #openBytes = 0;
  #linger: ReturnType<typeof setTimeout> | undefined;
  /** Batches sealed before the spool finished opening, queued after its leftovers. */
  #early: Batch[] | undefined = [];
  readonly #queue: Batch[] = [];
  /** Bytes in memory: open records plus queued bodies. */
  #buffered = 0;
  #full = false;
  #enqueued = 0;
  #settled = 0;
  #written = 0;
  #recovered = 0;
  #acknowledged = 0;
  #rejected = 0;
  readonly #rejections: ShipperRejection[] = [];
  #replayed = 0;
  #retries = 0;
  #spoolTail: Promise<void> = Promise.resolve();
  readonly #ready: Promise<void>;
  #pump: Promise<void> | undefined;
  #closing: Promise<ShipperReport> | undefined;
  #stopped = false;
  readonly #stop = new AbortController();
  #settledWaiters: Waiter[] = [];
  #roomWaiters: (() => void)[] = [];

  constructor(options: ResolvedShipperOptions) {
    this.#options = options;
    this.#spool = options.spool;
    this.#ready = this.#openSpool();
    // Callers that never ask for ready() must not see an unhandled rejection; the failure is also an event.
    this.#ready.catch(() => undefined);
  }

  on<E extends ShipperEventName>(event: E, listener: (payload: ShipperEventMap[E]) => void): () => void {
    return this.#events.on(event, listener);
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  write(record: LogRecord): boolean {
    if (this.#closing !== undefined) throw new Error('shipper: write after close');
    let lines: string[];
    try {
      lines = encodeRecord(record, this.#options);
    } catch (error) {
      if (!(error instanceof RecordTooLongError)) throw error;
      return this.#tooLong(error);
    }
    for (const line of lines) this.#add(line);
    return this.#added();
  }

  writeLine(line: string): boolean {
    if (this.#closing !== undefined) throw new Error('shipper: write after close');
    if (line.includes('\n')) throw new TypeError('shipper: writeLine takes one JSON record without newlines');
    // Past the line limit the record must be re-encoded, its message cut into parts.
    if (line.length * 3 > this.#options.maxLineBytes && utf8Length(line) > this.#options.maxLineBytes) {
      return this.write(JSON.parse(line) as LogRecord);
    }
    this.#add(line);
    return this.#added();
  }

  #add(line: string): void {
    if (this.#openBytes + line.length + 1 > this.#options.maxBatchBytes && this.#open.length > 0) this.#seal();
    this.#open.push(line);
    this.#openBytes += line.length + 1;
    this.#buffered += line.length + 1;
    this.#written++;
    if (this.#open.length >= this.#options.maxBatchEntries) this.#seal();
  }

  #added(): boolean {
    if (this.#open.length > 0 && this.#linger === undefined) {
      this.#linger = setTimeout(() => this.#seal(), this.#options.lingerMs);
    }
    return this.#hasRoom();
  }

  #tooLong(error: RecordTooLongError): boolean {
    this.#written++;
    this.#seal();
    this.#enqueue(this.#refusedLocally(JSON.stringify({ msg: '(record too long to send)' }), error.message));
    return this.#hasRoom();
  }

  waitForRoom(): Promise<void> {
    if (this.#buffered < this.#options.maxBufferedBytes || this.#stopped) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  async flush(options: FlushOptions = {}): Promise<ShipperReport> {
    const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
    await this.#until(
      this.#ready.catch(() => undefined),
      deadline,
    );
    this.#seal();
    await this.#until(this.#settledUpTo(this.#enqueued), deadline);
    return this.report();
  }

  async persist(): Promise<void> {
    await this.#ready.catch(() => undefined);
    this.#seal();
    const last = this.#queue[this.#queue.length - 1];
    if (this.#spool === undefined || last === undefined) {
      await this.#settledUpTo(this.#enqueued);
      return;
    }
    await last.persisted;
    if (!last.onDisk) await this.#settledUpTo(this.#enqueued);
  }

  close(options: FlushOptions = {}): Promise<ShipperReport> {
    this.#closing ??= (async () => {
      await this.flush(options);
      this.#stopped = true;
      this.#stop.abort();
      this.#wakeRoomWaiters();
      await this.#pump;
      await this.#spoolTail;
      await this.#spool?.close().catch((error: unknown) => this.#events.emit('spool-error', { message: messageOf(error) }));
      return this.report();
    })();
    return this.#closing;
  }

  report(): ShipperReport {
    const total = this.#written + this.#recovered;
    const unacknowledged = total - this.#acknowledged - this.#rejected;
    let spooled = 0;
    for (const batch of this.#queue) if (batch.onDisk && batch.refused === undefined) spooled += batch.records;
    return {
      written: this.#written,
      recovered: this.#recovered,
      acknowledged: this.#acknowledged,
      rejected: this.#rejected,
      rejections: this.#rejections.map((rejection) => ({ ...rejection })),
      unacknowledged,
      spooled,
      unsent: unacknowledged - spooled,
      replayed: this.#replayed,
      retries: this.#retries,
      complete: unacknowledged === 0,
    };
  }

  async #openSpool(): Promise<void> {
    const spool = this.#spool;
    try {
      if (spool === undefined) return;
      let records = 0;
      let recovered: Awaited<ReturnType<ShipperSpool['open']>>;
      try {
        recovered = await spool.open();
      } catch (error) {
        this.#spool = undefined;
        this.#events.emit('spool-error', { message: `cannot open the spool: ${messageOf(error)}` });
        throw error;
      }
      for (const frame of recovered) {
        const root: RootFrame = { key: frame.key, ref: frame.ref, remaining: frame.records };
        this.#recovered += frame.records;
        records += frame.records;
        this.#push({
          key: frame.key,
          source: frame.source,
          records: frame.records,
          bytes: frame.bytes,
          body: undefined,
          first: 0,
          root,
          offset: 0,
          onDisk: true,
          persisted: Promise.resolve(),
        });
      }
      if (recovered.length > 0) this.#events.emit('recovered', { batches: recovered.length, records });
    } finally {
      const early = this.#early ?? [];
      this.#early = undefined;
      for (const batch of early) this.#enqueue(batch);
      this.#kick();
    }
  }

  #hasRoom(): boolean {
    const room = this.#buffered < this.#options.maxBufferedBytes;
    if (!room && !this.#full) {
      this.#full = true;
      this.#events.emit('full', { bufferedBytes: this.#buffered });
    }
    return room;
  }

  #seal(): void {
    if (this.#linger !== undefined) {
      clearTimeout(this.#linger);
      this.#linger = undefined;
    }
    if (this.#open.length === 0) return;
    const body = `${this.#open.join('\n')}\n`;
    const records = this.#open.length;
    this.#buffered += body.length - this.#openBytes;
    this.#open = [];
    this.#openBytes = 0;
    const key = this.#nextKey();
    this.#enqueue({
      key,
      source: this.#options.source,
      records,
      bytes: body.length,
      body,
      first: 0,
      root: { key, ref: undefined, remaining: records },
      offset: 0,
      onDisk: false,
      persisted: Promise.resolve(),
    });
  }

  #refusedLocally(line: string, message: string): Batch {
    const key = this.#nextKey();
    return {
      key,
      source: this.#options.source,
      records: 1,
      bytes: 0,
      body: `${line}\n`,
      first: 0,
      root: { key, ref: undefined, remaining: 1 },
      offset: 0,
      onDisk: false,
      persisted: Promise.resolve(),
      refused: { kind: 'rejected', status: 0, code: 'RECORD_TOO_LONG', message },
    };
  }

  /** Queues a new batch behind everything before it, writing it ahead to the spool first. */
  #enqueue(batch: Batch): void {
    if (this.#early !== undefined) {
      this.#early.push(batch);
      return;
    }
    const spool = this.#spool;
    if (spool !== undefined && batch.refused === undefined && batch.body !== undefined) {
      const body = batch.body;
      batch.persisted = this.#spoolTail = this.#spoolTail.then(async () => {
        try {
          batch.root.ref = await spool.append({ key: batch.key, source: batch.source, records: batch.records, body });
          batch.onDisk = true;
          this.#evict(batch);
        } catch (error) {
          this.#events.emit('spool-error', { message: `batch kept in memory, the spool refused it: ${messageOf(error)}` });
        }
      });
    }
    this.#push(batch);
    this.#kick();
  }

  #push(batch: Batch): void {
    batch.first = this.#enqueued + 1;
    this.#enqueued += batch.records;
    this.#queue.push(batch);
  }

  /** Drops the body of a spooled batch that is not about to be sent, while memory is tight. */
  #evict(batch: Batch): void {
    if (batch.body === undefined || batch === this.#queue[0] || this.#buffered <= this.#options.maxBufferedBytes / 2) return;
    batch.body = undefined;
    this.#buffered -= batch.bytes;
    this.#roomMaybe();
  }

  #kick(): void {
    if (this.#pump !== undefined || this.#stopped || this.#early !== undefined || this.#queue.length === 0) return;
    this.#pump = this.#run().finally(() => {
      this.#pump = undefined;
      this.#kick();
    });
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#stopped) {
      const batch = this.#queue[0];
      if (batch === undefined) return;
      if (batch.refused !== undefined) {
        this.#settle(batch, 'rejected');
        continue;
      }
      await batch.persisted;
      if (batch.body === undefined && !(await this.#load(batch))) continue;
      const body = batch.body as string;
      const outcome = await postBatch(this.#options, { key: batch.key, source: batch.source, body }, this.#stop.signal);
      if (this.#stopped) return;
      if (outcome.kind === 'acknowledged') {
        attempt = 0;
        if (outcome.replayed) this.#replayed++;
        this.#settle(batch, 'acknowledged');
        this.#events.emit('acknowledged', {
          records: batch.records,
          firstId: outcome.firstId,
          lastId: outcome.lastId,
          replayed: outcome.replayed,
        });
      } else if (outcome.kind === 'rejected') {
        attempt = 0;
        const pieces = cutRefused({ ...batch, body }, outcome);
        this.#queue.splice(0, 1, ...pieces);
        this.#buffered += pieces.reduce((sum, piece) => sum + piece.bytes, 0) - batch.bytes;
      } else {
        attempt++;
        this.#retries++;
        const delayMs = Math.max(backoffDelay(attempt, this.#options.retry), outcome.retryAfterMs ?? 0);
        const { kind: _kind, retryAfterMs: _after, ...detail } = outcome;
        this.#events.emit('retry', { attempt, delayMs, ...detail });
        await sleep(delayMs, this.#stop.signal);
      }
    }
  }

  /** Reads a spooled body back; a frame the spool cannot give back is reported refused, not skipped silently. */
  async #load(batch: Batch): Promise<boolean> {
    try {
      batch.body = await (this.#spool as ShipperSpool).read(batch.root.ref);
      this.#buffered += batch.bytes;
      return true;
    } catch (error) {
      const message = `the spool cannot give this batch back: ${messageOf(error)}`;
      this.#events.emit('spool-error', { message });
      batch.refused = { kind: 'rejected', status: 0, code: 'SPOOL_UNREADABLE', message };
      return false;
    }
  }

  #settle(batch: Batch, how: 'acknowledged' | 'rejected'): void {
    this.#queue.shift();
    if (batch.body !== undefined) this.#buffered -= batch.bytes;
    if (how === 'acknowledged') {
      this.#acknowledged += batch.records;
    } else {
      const refused: { status: number; message: string; code?: string } = batch.refused ?? { status: 0, message: 'refused' };
      const rejection: ShipperRejection = {
        first: batch.first,
        count: batch.records,
        status: refused.status,
        message: refused.message,
        ...(refused.code === undefined ? {} : { code: refused.code }),
      };
      this.#rejected += batch.records;
      this.#rejections.push(rejection);
      const lines = batch.body === undefined ? [] : batch.body.split('\n').slice(0, -1);
      this.#events.emit('rejected', { ...rejection, lines });
    }
    this.#settled += batch.records;
    batch.root.remaining -= batch.records;
    const spool = this.#spool;
    if (batch.root.remaining === 0 && batch.root.ref !== undefined && spool !== undefined) {
      const ref = batch.root.ref;
      this.#spoolTail = this.#spoolTail.then(() =>
        spool.acknowledge(ref).catch((error: unknown) => this.#events.emit('spool-error', { message: messageOf(error) })),
      );
    }
    this.#settledWaiters = this.#settledWaiters.filter((waiter) => {
      if (this.#settled < waiter.target) return true;
      waiter.resolve();
      return false;
    });
    this.#roomMaybe();
  }

  #roomMaybe(): void {
    if (this.#buffered >= this.#options.maxBufferedBytes) return;
    this.#full = false;
    this.#wakeRoomWaiters();
  }

  #wakeRoomWaiters(): void {
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #settledUpTo(target: number): Promise<void> {
    if (this.#settled >= target) return Promise.resolve();
    return new Promise((resolve) => this.#settledWaiters.push({ target, resolve }));
  }

  async #until(promise: Promise<unknown>, deadline: number | undefined): Promise<void> {
    if (deadline === undefined) {
      await promise;
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))))]);
    clearTimeout(timer);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
