// Node-only entry point, `@livelog/client/node`: the shipper with a disk spool. The rest of the
// package stays browser-safe; nothing outside this folder imports node:*.
export type { LogRecord } from '../log-record.js';
export type { FlushOptions, Shipper } from '../shipper.js';
export type { ShipperEventMap, ShipperEventName, ShipperRejection } from '../shipper-events.js';
export { type RetryOptions, SHIPPER_DEFAULTS, type ShipperOptions } from '../shipper-options.js';
export type { ShipperReport } from '../shipper-report.js';
export type { RecoveredFrame, ShipperSpool, SpoolFrame, SpoolRef } from '../shipper-spool.js';
export { createShipper, type NodeShipperOptions } from './create-shipper.js';
export { createFileSpool, type FileSpoolOptions } from './file-spool.js';
