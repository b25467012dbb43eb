import { TypedEmitter } from '../typed-emitter.js';
import { type Batch, cutRefused } from './batch.js';
import { createKeySource } from './batch-key.js';
import { BatchSpool } from './batch-spool.js';
import { encodeRecord, RecordTooLongError, utf8Length } from './encode-record.js';
import type { LogRecord } from './log-record.js';
import { sendBatch } from './send-batch.js';
import type { FlushOptions, Shipper } from './shipper.js';
import type { ShipperEventMap, ShipperEventName, ShipperRejection } from './shipper-events.js';
import type { ResolvedShipperOptions } from './shipper-options.js';
import type { ShipperReport } from './shipper-report.js';
import { waitUntil, waitWhileProgressing } from './wait-until.js';

interface Waiter {
  target: number;
  resolve: () => void;
}

/**
 * The shipper: records are encoded and gathered into sealed batches (by count, size and linger
 * time), written ahead to the spool if there is one, and sent one at a time, oldest first, by
 * `sendBatch`; every record is accounted for until the server acknowledges or refuses it.
 */
export class BatchShipper implements Shipper {
  readonly #options: ResolvedShipperOptions;
  readonly #events = new TypedEmitter<ShipperEventMap>();
  readonly #nextKey = createKeySource();
  #spool: BatchSpool | undefined;
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
  /** Date.now() when a batch was last acknowledged or refused. */
  #settledAt = 0;
  #written = 0;
  #recovered = 0;
  #acknowledged = 0;
  #rejected = 0;
  readonly #rejections: ShipperRejection[] = [];
  #replayed = 0;
  #retries = 0;
  readonly #ready: Promise<void>;
  #pump: Promise<void> | undefined;
  #closing: Promise<ShipperReport> | undefined;
  #stopped = false;
  readonly #stop = new AbortController();
  #settledWaiters: Waiter[] = [];
  #roomWaiters: (() => void)[] = [];

  constructor(options: ResolvedShipperOptions) {
    this.#options = options;
    const onSpoolError = (message: string): void => this.#events.emit('spool-error', { message });
    this.#spool = options.spool === undefined ? undefined : new BatchSpool(options.spool, onSpoolError);
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
    const started = Date.now();
    const deadline = options.timeoutMs === undefined ? undefined : started + options.timeoutMs;
    await waitUntil(
      this.#ready.catch(() => undefined),
      deadline,
    );
    this.#seal();
    const settled = this.#settledUpTo(this.#enqueued);
    if (options.idleTimeoutMs === undefined) await waitUntil(settled, deadline);
    else
      await waitWhileProgressing(settled, { idleMs: options.idleTimeoutMs, since: started, deadline, lastProgress: () => this.#settledAt });
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
      await this.#spool?.close();
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
    try {
      if (this.#spool === undefined) return;
      let recovered: Batch[];
      try {
        recovered = await this.#spool.open();
      } catch (error) {
        this.#spool = undefined;
        throw error;
      }
      let records = 0;
      for (const batch of recovered) {
        this.#recovered += batch.records;
        records += batch.records;
        this.#push(batch);
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
    if (this.#spool !== undefined && batch.refused === undefined && batch.body !== undefined) {
      this.#spool.append(batch, batch.body, () => this.#evict(batch));
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

  /** Sends the queue, oldest batch first, one request at a time so that order holds. */
  async #run(): Promise<void> {
    while (!this.#stopped) {
      const batch = this.#queue[0];
      if (batch === undefined) return;
      if (batch.refused !== undefined) {
        this.#settle(batch, 'rejected');
        continue;
      }
      await batch.persisted;
      if (batch.body === undefined) {
        if (!(await (this.#spool as BatchSpool).load(batch))) continue;
        this.#buffered += batch.bytes;
      }
      const body = batch.body as string;
      const outcome = await sendBatch(this.#options, { key: batch.key, source: batch.source, body }, this.#stop.signal, (retry) => {
        this.#retries++;
        this.#events.emit('retry', retry);
      });
      if (outcome === undefined || this.#stopped) return;
      if (outcome.kind === 'acknowledged') {
        if (outcome.replayed) this.#replayed++;
        this.#settle(batch, 'acknowledged');
        this.#events.emit('acknowledged', {
          records: batch.records,
          firstId: outcome.firstId,
          lastId: outcome.lastId,
          replayed: outcome.replayed,
        });
      } else {
        const pieces = cutRefused({ ...batch, body }, outcome);
        this.#queue.splice(0, 1, ...pieces);
        this.#buffered += pieces.reduce((sum, piece) => sum + piece.bytes, 0) - batch.bytes;
      }
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
    this.#settledAt = Date.now();
    batch.root.remaining -= batch.records;
    this.#spool?.acknowledge(batch.root);
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
}
