import { Worker } from 'node:worker_threads';

/** Everything one group commit writes, column by column (cheap to copy to the writer thread). */
export interface CommitRequest {
  type: 'commit';
  seqs: number[];
  times: number[];
  levels: number[];
  sources: string[];
  jsons: string[];
  /** Per source: name, entries added, last seq, last time. */
  sourceStats: [string, number, number, number][];
  /** The running maximum of time at the group's last seq, or null for a group of replays only. */
  mark: [number, number] | null;
  /** Idempotency records: key, body digest, first seq, last seq, created. */
  keys: [string, string | null, number, number, number][];
  lastSeq: number;
}

export interface OpenRequest {
  type: 'open';
  file: string;
  durability: 'normal' | 'full';
}

export interface PruneRequest {
  type: 'prune';
  /** Delete entries with seq <= upTo (0: none). */
  upTo: number;
  /** Forget idempotency keys created before this time. */
  keysBefore: number;
}

export interface CloseRequest {
  type: 'close';
}

export type WriterRequest = OpenRequest | CommitRequest | PruneRequest | CloseRequest;

/** What the writer thread answers to a request with this id. */
export type WriterReply = { id: number; ok: true } | { id: number; ok: false; message: string; code?: string };

interface Waiting {
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * The SQLite writer thread. Inserting and committing cost more than half of an entry's ingest CPU;
 * on their own thread they run while the event loop parses the next requests and serves readers, and
 * WAL checkpoints no longer pause delivery. One request runs at a time, in order.
 */
export class SqliteWriter {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 1;
  #failure: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (reply: WriterReply) => {
      const waiting = this.#waiting.get(reply.id);
      if (waiting === undefined) return;
      this.#waiting.delete(reply.id);
      if (reply.ok) waiting.resolve();
      else waiting.reject(Object.assign(new Error(reply.message), reply.code === undefined ? {} : { code: reply.code }));
    });
    const fail = (error: Error): void => {
      this.#failure ??= error;
      for (const waiting of this.#waiting.values()) waiting.reject(error);
      this.#waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the SQLite writer thread exited (code ${code})`)));
  }

  /** Starts the writer thread and opens the database in it. */
  static async start(file: string, durability: 'normal' | 'full'): Promise<SqliteWriter> {
    const writer = new SqliteWriter(new Worker(workerUrl()));
    try {
      await writer.request({ type: 'open', file, durability });
    } catch (error) {
      await writer.#worker.terminate();
      throw error;
    }
    return writer;
  }

  /** Set once the thread failed or exited: nothing more can be written. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  request(message: WriterRequest): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ id, ...message });
    });
  }

  async close(): Promise<void> {
    if (this.#failure === undefined) await this.request({ type: 'close' }).catch(() => undefined);
    this.#failure ??= new Error('the SQLite writer is closed');
    await this.#worker.terminate();
  }
}

/** The worker's module: beside this one once built; from the build when this file runs as TypeScript (tests). */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/store/sqlite-writer-worker.js', here) : new URL('./sqlite-writer-worker.js', here);
}
