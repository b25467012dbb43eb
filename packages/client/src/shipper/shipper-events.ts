/** A batch's records the server refused (4xx other than 408/429); they are not retried. */
export interface ShipperRejection {
  /** Position of the first refused record among all records this shipper handled, from 1 (recovered spool records first). */
  first: number;
  /** Consecutive records refused. */
  count: number;
  /** HTTP status, or 0 when the shipper refused the record itself (too long to send). */
  status: number;
  /** The server's error code, e.g. `LIVELOG_ERR_INGEST_BAD_LEVEL`. */
  code?: string;
  message: string;
}

/** Events of a shipper and what each listener receives. */
export interface ShipperEventMap {
  /** A batch is stored on the server. `replayed`: the server had it already (an earlier attempt's reply was lost). */
  acknowledged: { records: number; firstId: string; lastId: string; replayed: boolean };
  /** An attempt failed and will be repeated with the same Idempotency-Key after `delayMs`. */
  retry: { attempt: number; delayMs: number; status?: number; code?: string; message: string };
  /** Records the server refused for good; `lines` are their NDJSON text. */
  rejected: ShipperRejection & { lines: string[] };
  /** The memory bound is reached: `write` returns false until `waitForRoom` resolves. */
  full: { bufferedBytes: number };
  /** A spool append or read failed; the batch stays in memory and is still sent. */
  'spool-error': { message: string };
  /** Frames an earlier shipper left in the spool, queued ahead of anything new. */
  recovered: { batches: number; records: number };
}

/** Name of a shipper event. */
export type ShipperEventName = keyof ShipperEventMap;
