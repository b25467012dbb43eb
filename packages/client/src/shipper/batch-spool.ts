import type { Batch, RootFrame } from './batch.js';
import type { ShipperSpool } from './shipper-spool.js';

/**
 * The shipper's side of its write-ahead spool. Appends and acknowledgements are chained, each behind
 * the one before, so they reach the spool in the order the shipper made them and what is
 * acknowledged is always a prefix. A failure never loses a record: it is reported to `onError`
 * (the `spool-error` event) and the batch goes on from memory.
 */
export class BatchSpool {
  readonly #spool: ShipperSpool;
  readonly #onError: (message: string) => void;
  #tail: Promise<void> = Promise.resolve();

  constructor(spool: ShipperSpool, onError: (message: string) => void) {
    this.#spool = spool;
    this.#onError = onError;
  }

  /** Opens the spool: the batches an earlier shipper left unacknowledged, oldest first, their bodies still on disk. */
  async open(): Promise<Batch[]> {
    let recovered: Awaited<ReturnType<ShipperSpool['open']>>;
    try {
      recovered = await this.#spool.open();
    } catch (error) {
      this.#onError(`cannot open the spool: ${messageOf(error)}`);
      throw error;
    }
    return recovered.map((frame) => ({
      key: frame.key,
      source: frame.source,
      records: frame.records,
      bytes: frame.bytes,
      body: undefined,
      first: 0,
      root: { key: frame.key, ref: frame.ref, remaining: frame.records },
      offset: 0,
      onDisk: true,
      persisted: Promise.resolve(),
    }));
  }

  /**
   * Writes a new batch ahead of sending it. `batch.persisted` settles once it is on disk (then
   * `onDisk` runs, and the body may leave memory) or once the spool refused it.
   */
  append(batch: Batch, body: string, onDisk: () => void): void {
    batch.persisted = this.#tail = this.#tail.then(async () => {
      try {
        batch.root.ref = await this.#spool.append({ key: batch.key, source: batch.source, records: batch.records, body });
        batch.onDisk = true;
        onDisk();
      } catch (error) {
        this.#onError(`batch kept in memory, the spool refused it: ${messageOf(error)}`);
      }
    });
  }

  /** Reads a spooled body back into `batch`; a frame the spool cannot give back is marked refused, not skipped silently. */
  async load(batch: Batch): Promise<boolean> {
    try {
      batch.body = await this.#spool.read(batch.root.ref);
      return true;
    } catch (error) {
      const message = `the spool cannot give this batch back: ${messageOf(error)}`;
      this.#onError(message);
      batch.refused = { kind: 'rejected', status: 0, code: 'SPOOL_UNREADABLE', message };
      return false;
    }
  }

  /** Every record of `root` is settled: the spool may drop its frame. */
  acknowledge(root: RootFrame): void {
    const ref = root.ref;
    if (root.remaining !== 0 || ref === undefined) return;
    this.#tail = this.#tail.then(() => this.#spool.acknowledge(ref).catch((error: unknown) => this.#onError(messageOf(error))));
  }

  /** Waits for the appends and acknowledgements under way, then releases the spool. */
  async close(): Promise<void> {
    await this.#tail;
    await this.#spool.close().catch((error: unknown) => this.#onError(messageOf(error)));
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
