import { ndjson, postLogs } from '@livelog/test-utils';

/** One batch the server acknowledged. */
export interface Acknowledged {
  batch: number;
  firstSeq: number;
  lastSeq: number;
  replayed: boolean;
}

/** Options of a retrying writer. */
export interface RetryingWriterOptions {
  /** Base URLs of the instances; batch n goes to instance n % length first. */
  bases: readonly string[];
  batches: number;
  batchSize: number;
  /** Batches in flight at once. Defaults to 1. */
  concurrency?: number;
  /** Give up on a batch after this long, in ms. Defaults to 60,000. */
  batchTimeoutMs?: number;
  /** Awaited before each batch (numbered from 0) is sent, so a test can pause the writer. */
  gate?: (batch: number) => Promise<void>;
}

/**
 * A shipper as the design asks clients to be: each batch carries an Idempotency-Key, and every
 * failure (503, a refused or reset connection) is retried with the same key on the next instance,
 * so a batch whose first attempt was stored but not answered is not stored twice.
 */
export class RetryingWriter {
  readonly acknowledged: Acknowledged[] = [];
  /** Answers by status (0 for a connection failure), retries included. */
  readonly statuses = new Map<number, number>();
  /** Batches sent and not yet acknowledged. */
  inFlight = 0;
  readonly #options: RetryingWriterOptions;
  readonly #run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

  constructor(options: RetryingWriterOptions) {
    this.#options = options;
  }

  /** Entries acknowledged so far. */
  get entries(): number {
    return this.acknowledged.length * this.#options.batchSize;
  }

  /** Sends every batch; resolves once all are acknowledged. */
  async run(): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.#options.batches) {
        const batch = next++;
        await this.#options.gate?.(batch);
        this.inFlight++;
        try {
          await this.#send(batch);
        } finally {
          this.inFlight--;
        }
      }
    };
    await Promise.all(Array.from({ length: this.#options.concurrency ?? 1 }, worker));
  }

  async #send(batch: number): Promise<void> {
    const { bases, batchSize } = this.#options;
    const body = ndjson(batchSize, `b${batch}`, 1, { source: `w${batch % 3}` });
    const deadline = Date.now() + (this.#options.batchTimeoutMs ?? 60_000);
    for (let attempt = 0; ; attempt++) {
      const base = bases[(batch + attempt) % bases.length] as string;
      let status = 0;
      try {
        const reply = await postLogs(base, body, 'application/x-ndjson', { 'idempotency-key': `${this.#run}-${batch}` });
        status = reply.status;
        if (status === 200) {
          const answer = reply.body as { firstId: string; lastId: string };
          this.acknowledged.push({
            batch,
            firstSeq: seqOf(answer.firstId),
            lastSeq: seqOf(answer.lastId),
            replayed: reply.headers.get('idempotent-replayed') === 'true',
          });
          this.statuses.set(200, (this.statuses.get(200) ?? 0) + 1);
          return;
        }
        if (status !== 503) throw new Error(`batch ${batch}: unexpected ${status} ${JSON.stringify(reply.body)}`);
      } catch (error) {
        if (status !== 0) throw error;
      }
      this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
      if (Date.now() > deadline) throw new Error(`batch ${batch} not acknowledged in time`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(200, 10 * 2 ** Math.min(attempt, 5))));
    }
  }
}

function seqOf(id: string): number {
  return Number(id.slice(id.lastIndexOf(':') + 1));
}
