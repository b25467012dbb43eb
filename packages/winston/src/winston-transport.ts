import { createShipper, type NodeShipperOptions, type Shipper, type ShipperReport } from '@livelog/client/node';
import TransportStream from 'winston-transport';
import { mapWinstonInfo } from './map-winston-info.js';

/** Options of `LivelogTransport`: winston's own (`level`, `format`, `silent`, …) and every shipper option. */
export interface LivelogTransportOptions extends TransportStream.TransportStreamOptions, NodeShipperOptions {
  /** How long ending the transport waits for the server's acknowledgements. Defaults to 10,000 ms. */
  closeTimeoutMs?: number;
}

/**
 * winston transport that ships to livelog: `new LivelogTransport({ url: 'http://127.0.0.1:7600' })`.
 * `log(info, callback)` hands the record to the client's shipper and calls back at once, or, when the
 * shipper's memory is full, once there is room (winston then holds further writes: backpressure, not
 * loss). `logger.end()` waits for the acknowledgements before the logger's `finish` event.
 * @see ../../../docs/guides/shipping-logs.md
 */
export class LivelogTransport extends TransportStream {
  readonly #shipper: Shipper;
  readonly #source: string | undefined;
  readonly #closeTimeoutMs: number;
  #closing: Promise<ShipperReport> | undefined;

  constructor(options: LivelogTransportOptions) {
    const { format, level, silent, handleExceptions, handleRejections, closeTimeoutMs, ...shipperOptions } = options;
    super({
      ...(format === undefined ? {} : { format }),
      ...(level === undefined ? {} : { level }),
      ...(silent === undefined ? {} : { silent }),
      ...(handleExceptions === undefined ? {} : { handleExceptions }),
      ...(handleRejections === undefined ? {} : { handleRejections }),
    });
    const { log: _log, logv: _logv, close: _close, ...rest } = shipperOptions;
    this.#shipper = createShipper(rest);
    this.#source = rest.source;
    this.#closeTimeoutMs = closeTimeoutMs ?? 10_000;
    this.#shipper.on('rejected', (event) => this.emit('warn', new Error(`livelog refused ${event.count} record(s): ${event.message}`)));
  }

  override log(info: Record<string | symbol, unknown>, callback: () => void): void {
    setImmediate(() => this.emit('logged', info));
    const room = this.#shipper.write(mapWinstonInfo(info, this.#source === undefined ? {} : { source: this.#source }));
    if (room) callback();
    else void this.#shipper.waitForRoom().then(callback);
  }

  /** Resolves once everything logged so far is acknowledged (or refused); the report says what is left. */
  flush(options: { timeoutMs?: number } = {}): Promise<ShipperReport> {
    return this.#shipper.flush(options);
  }

  /** Called by winston on `logger.close()` and when the transport is removed: delivers what is left, then stops. */
  override close(): void {
    void this.#close();
  }

  /** Where every record stands. */
  report(): ShipperReport {
    return this.#shipper.report();
  }

  /** The stream's end (`logger.end()`): 'finish' waits until every record is acknowledged or the timeout passed. */
  override _final(callback: (error?: Error | null) => void): void {
    this.#close().then(
      (report) => {
        if (!report.complete)
          this.emit('warn', new Error(`${report.unacknowledged} record(s) were not acknowledged by livelog before the end`));
        callback();
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }

  #close(): Promise<ShipperReport> {
    this.#closing ??= this.#shipper.close({ timeoutMs: this.#closeTimeoutMs });
    return this.#closing;
  }
}
