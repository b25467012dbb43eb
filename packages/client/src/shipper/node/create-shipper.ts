import { createShipper as createBrowserShipper, type Shipper } from '../shipper.js';
import type { ShipperOptions } from '../shipper-options.js';
import { createFileSpool } from './file-spool.js';

/** `ShipperOptions` plus a spool directory; every value is structured-clonable (pino passes them to a worker thread). */
export interface NodeShipperOptions extends Omit<ShipperOptions, 'spool'> {
  /**
   * Directory of a write-ahead disk spool. Every batch is fsync'ed there before it is sent, and
   * removed once acknowledged; a shipper started later on the same directory sends what is left
   * first. Defaults to none (memory only).
   */
  spoolDir?: string;
  /** Size at which a spool segment file is closed and a new one started. Defaults to 16 MiB. */
  spoolSegmentBytes?: number;
}

/**
 * `createShipper` for Node, with an optional disk spool.
 * @see ../../../../../docs/guides/shipping-logs.md
 */
export function createShipper(options: NodeShipperOptions): Shipper {
  const { spoolDir, spoolSegmentBytes, ...rest } = options;
  if (spoolDir === undefined || spoolDir === '') return createBrowserShipper(rest);
  return createBrowserShipper({
    ...rest,
    spool: createFileSpool({ dir: spoolDir, ...(spoolSegmentBytes === undefined ? {} : { segmentBytes: spoolSegmentBytes }) }),
  });
}
