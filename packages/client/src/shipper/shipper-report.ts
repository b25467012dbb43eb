import type { ShipperRejection } from './shipper-events.js';

/**
 * Where every record a shipper handled stands. Records are counted as sent: a message split into
 * parts counts once per part. `acknowledged + rejected + unacknowledged = written + recovered`.
 */
export interface ShipperReport {
  /** Records handed to `write` (after splitting long messages). */
  written: number;
  /** Records found in the spool at open, left unacknowledged by an earlier shipper. */
  recovered: number;
  /** Records the server acknowledged as durable. */
  acknowledged: number;
  /** Records refused for good (see `rejections`). */
  rejected: number;
  rejections: ShipperRejection[];
  /** Records not acknowledged yet. */
  unacknowledged: number;
  /** Of those, records safe in the spool: a shipper opening the same spool sends them. */
  spooled: number;
  /** Of those, records only in memory: lost if the process ends now. */
  unsent: number;
  /** Batches the server already had when they were retried (idempotency keys at work). */
  replayed: number;
  /** Attempts that failed and were retried. */
  retries: number;
  /** True when nothing is left unacknowledged. */
  complete: boolean;
}
