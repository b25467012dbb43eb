/** A sealed batch as the spool keeps it: exactly the bytes and key that are sent, so a resend is a true retry. */
export interface SpoolFrame {
  /** The batch's Idempotency-Key. */
  key: string;
  /** The `?source=` the batch is sent with (part of what the server compares on a retry). */
  source: string | undefined;
  /** Records in the body. */
  records: number;
  /** The NDJSON body, one record per line, ending with a newline. */
  body: string;
}

/** Where the spool holds a frame; opaque to the shipper. */
export type SpoolRef = unknown;

/** A frame found in the spool at open: unacknowledged when an earlier shipper stopped. Its body is read on demand. */
export interface RecoveredFrame {
  ref: SpoolRef;
  key: string;
  source: string | undefined;
  records: number;
  /** Bytes of the body, for memory accounting before it is read. */
  bytes: number;
}

/**
 * Durable write-ahead storage of sealed batches, in send order. The shipper appends every batch
 * before sending it and acknowledges frames strictly in the order it appended them, so what is
 * acknowledged is always a prefix; a spool may drop that prefix (truncate, rotate) whenever it likes.
 *
 * Implementations: `createFileSpool` in `@livelog/client/node` (an append-only file, fsync'ed).
 */
export interface ShipperSpool {
  /** Opens the spool and lists the frames not yet acknowledged, oldest first. */
  open(): Promise<RecoveredFrame[]>;
  /** Appends a frame; resolves once it is durable (fsync'ed). Appends resolve in call order. */
  append(frame: SpoolFrame): Promise<SpoolRef>;
  /** Reads back the body of a frame appended or recovered earlier. */
  read(ref: SpoolRef): Promise<string>;
  /** Marks the oldest unacknowledged frame, which must be `ref`, acknowledged. */
  acknowledge(ref: SpoolRef): Promise<void>;
  /** Releases the spool (its lock); frames not acknowledged stay for the next shipper. */
  close(): Promise<void>;
}
