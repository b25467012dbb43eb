import { Worker } from 'node:worker_threads';

/**
 * WAL pages after which the writer connection checkpoints by itself (SQLite's `wal_autocheckpoint`).
 * With the checkpointer thread keeping up this is never reached; it only bounds the WAL should that
 * thread fail or fall behind. SQLite's default, 1,000 pages, made every ~12th group commit at
 * 10,000 entries/s copy ~4 MB and sync the database file before it returned (issue 12 item 3).
 */
export const WRITER_AUTOCHECKPOINT_PAGES = 16_384;

/**
 * Least time between the starts of two checkpoints, in ms. Pages every commit rewrites (the streams
 * row, interior B-tree pages, the index's structure) are copied once per checkpoint, not once per
 * commit, and the database file is synced at most this often; the WAL holds what ~100 ms of commits
 * wrote (at 10,000 entries/s ~10 commits, ~560 pages).
 */
const MIN_INTERVAL_MS = 100;

/** What the checkpointer thread starts with. */
export interface CheckpointerData {
  file: string;
  durability: 'normal' | 'full';
}

/** The thread's answer to one request (`id` 0: it has opened the database). */
export type CheckpointReply = { id: number; ok: true; log: number; checkpointed: number } | { id: number; ok: false; message: string };

/**
 * Copies committed WAL frames into the database file on a thread of its own, off the latency path.
 *
 * Left to SQLite, the checkpoint runs inside the commit that crosses `wal_autocheckpoint`: that
 * commit, and every append queued behind it, waits for megabytes of page copies and an fsync of the
 * database file before it is acknowledged and delivered. Here the writer only appends to the WAL; after
 * each group commit `poke()` asks this thread for a PASSIVE checkpoint (at most one per MIN_INTERVAL_MS),
 * which runs beside the writer's next commits (different locks) and keeps the WAL short, so that SQLite
 * restarts it from its beginning.
 * Durability is unchanged: an entry is durable once its commit (and its sync) returns, which is still
 * when it is acknowledged and delivered; the checkpoint only moves pages that are already durable.
 */
export class SqliteCheckpointer {
  readonly #worker: Worker;
  #running = false;
  #again = false;
  /** A checkpoint waiting for MIN_INTERVAL_MS to pass since the last one started. */
  #timer: NodeJS.Timeout | undefined;
  #lastStart = Number.NEGATIVE_INFINITY;
  #closed = false;
  #failure: Error | undefined;
  #idle: (() => void)[] = [];
  /** Checkpoints run, and the WAL's frames and frames checkpointed at the last one. */
  readonly stats = { checkpoints: 0, log: 0, checkpointed: 0 };

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', (code) => this.#fail(new Error(`the SQLite checkpointer thread exited (code ${code})`)));
  }

  /** Starts the thread; resolves once its connection is open. */
  static async start(file: string, durability: 'normal' | 'full'): Promise<SqliteCheckpointer> {
    const data: CheckpointerData = { file, durability };
    const checkpointer = new SqliteCheckpointer(new Worker(workerUrl(), { workerData: data }));
    await new Promise<void>((resolve, reject) => {
      checkpointer.#worker.once('message', (reply: CheckpointReply) => (reply.ok ? resolve() : reject(new Error(reply.message))));
      checkpointer.#worker.once('error', reject);
    });
    checkpointer.#worker.on('message', (reply: CheckpointReply) => checkpointer.#done(reply));
    return checkpointer;
  }

  /** Set once the thread failed: the writer's own autocheckpoint bounds the WAL from then on. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** New frames were committed: checkpoint now, or once more when the running checkpoint ends. */
  poke(): void {
    if (this.#closed || this.#failure !== undefined) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer !== undefined) return;
    const wait = this.#lastStart + MIN_INTERVAL_MS - performance.now();
    if (wait <= 0) {
      this.#run();
      return;
    }
    this.#timer = setTimeout(() => this.#run(), wait);
    this.#timer.unref();
  }

  /** Resolves once no checkpoint runs or is due (every frame committed before the last poke copied). */
  idle(): Promise<void> {
    if (!this.#running && this.#timer === undefined) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Waits for the running checkpoint, then closes the thread's connection and stops it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#again = false;
    // Closing the last connection checkpoints anyway: a checkpoint still waiting for its turn can go.
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#running) this.#settle();
    await this.idle();
    if (this.#failure === undefined) {
      const closed = new Promise<void>((resolve) => this.#worker.once('message', () => resolve()));
      this.#worker.postMessage({ id: 2, type: 'close' });
      await closed;
    }
    this.#failure ??= new Error('the SQLite checkpointer is closed');
    await this.#worker.terminate();
  }

  #run(): void {
    this.#timer = undefined;
    if (this.#closed || this.#failure !== undefined) {
      this.#settle();
      return;
    }
    this.#running = true;
    this.#lastStart = performance.now();
    this.#worker.postMessage({ id: 1, type: 'checkpoint' });
  }

  #done(reply: CheckpointReply): void {
    if (reply.id !== 1) return;
    this.#running = false;
    if (reply.ok) {
      this.stats.checkpoints++;
      this.stats.log = reply.log;
      this.stats.checkpointed = reply.checkpointed;
    }
    if (this.#again && !this.#closed) {
      this.#again = false;
      this.poke();
      return;
    }
    this.#settle();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#settle();
  }

  #settle(): void {
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}

/** The worker's module: beside this one once built; from the build when this file runs as TypeScript (tests). */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../dist/store/sqlite-checkpointer-worker.js', here)
    : new URL('./sqlite-checkpointer-worker.js', here);
}
