import type { Worker } from 'node:worker_threads';

/** A thread's answer to the call with this id: its result, or the error it threw. */
export type WorkerAnswer<Result> = ({ ok: true } & Result) | { ok: false; message: string; code?: string };

interface Waiting<Result> {
  resolve: (result: { ok: true } & Result) => void;
  reject: (error: Error) => void;
}

/**
 * Calls into a worker thread that answers each `{ id, ...request }` with `{ id, ok, … }`, one at a
 * time and in order (the SQLite writer and reader threads). Once the thread fails or exits, every
 * waiting call and every later one is refused with that error.
 */
export class WorkerCalls<Request extends object, Result extends object> {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting<Result>>();
  #nextId = 1;
  #failure: Error | undefined;

  constructor(worker: Worker, exited: (code: number) => Error) {
    this.#worker = worker;
    worker.on('message', (answer: { id: number } & WorkerAnswer<Result>) => {
      const waiting = this.#waiting.get(answer.id);
      if (waiting === undefined) return;
      this.#waiting.delete(answer.id);
      if (answer.ok) waiting.resolve(answer);
      else waiting.reject(Object.assign(new Error(answer.message), answer.code === undefined ? {} : { code: answer.code }));
    });
    worker.on('error', (error: Error) => this.fail(error));
    worker.on('exit', (code) => this.fail(exited(code)));
  }

  /** Set once the thread failed, exited or was closed: nothing more can be asked. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  call(request: Request): Promise<{ ok: true } & Result> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ id, ...request });
    });
  }

  /** Refuses every waiting and later call with `error` (the first error given stays). */
  fail(error: Error): void {
    this.#failure ??= error;
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
  }

  /** Asks the thread to close (behind every call already made), then stops it. */
  async close(request: Request, closed: Error): Promise<void> {
    if (this.#failure === undefined) await this.call(request).catch(() => undefined);
    this.fail(closed);
    await this.#worker.terminate();
  }

  terminate(): Promise<number> {
    return this.#worker.terminate();
  }
}
