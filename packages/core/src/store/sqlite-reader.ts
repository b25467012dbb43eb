import { Worker } from 'node:worker_threads';
import { LivelogError } from '../errors.js';
import type { FrameRead } from './sqlite-frames.js';

/** What the reader thread is asked: open the file, read one page of frames, or close. */
export type ReaderRequest =
  | { type: 'open'; file: string; reverseScans?: boolean }
  | { type: 'frames'; key: number; after: number; limit: number; prefix: string }
  | { type: 'stats' }
  | { type: 'close' };

/** A page as it crosses threads: a Buffer arrives as a plain Uint8Array over the transferred memory. */
export interface WireFrames {
  firstSeq: number;
  lastSeq: number;
  count: number;
  frames: Uint8Array;
  offsets: Uint32Array;
}

export type ReaderReply =
  | { id: number; ok: true; page?: WireFrames; resorted?: number }
  | { id: number; ok: false; message: string; code?: string };

interface Waiting {
  resolve: (reply: Extract<ReaderReply, { ok: true }>) => void;
  reject: (error: Error) => void;
}

/**
 * The SQLite reader thread: catch-up pages of frames (see FrameStatements) are built on a connection
 * of their own in another thread, so that SQLite reads the next page while the event loop writes this
 * one to the socket. Building a page was ~70% of the server's CPU in a replay, all on the event loop.
 * Requests run one at a time, in order; the frames come back as transferred memory, not copied.
 */
export class SqliteReader {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 1;
  #failure: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (reply: ReaderReply) => {
      const waiting = this.#waiting.get(reply.id);
      if (waiting === undefined) return;
      this.#waiting.delete(reply.id);
      if (reply.ok) waiting.resolve(reply);
      else waiting.reject(Object.assign(new Error(reply.message), reply.code === undefined ? {} : { code: reply.code }));
    });
    const fail = (error: Error): void => {
      this.#failure ??= error;
      for (const waiting of this.#waiting.values()) waiting.reject(error);
      this.#waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new LivelogError('LIVELOG_ERR_STORE_CLOSED', `the SQLite reader thread exited (code ${code})`)));
  }

  /** Starts the reader thread on `file`. `reverseScans` (tests only) makes SQLite scan tables backwards where order is not asked for. */
  static async start(file: string, reverseScans = false): Promise<SqliteReader> {
    const reader = new SqliteReader(new Worker(workerUrl()));
    try {
      await reader.#request({ type: 'open', file, reverseScans });
    } catch (error) {
      await reader.#worker.terminate();
      throw error;
    }
    return reader;
  }

  /** Up to `limit` entries of stream `key` after `after` as frames (see FrameStatements.read). */
  async frames(key: number, after: number, limit: number, prefix: string): Promise<FrameRead | undefined> {
    const { page } = await this.#request({ type: 'frames', key, after, limit, prefix });
    if (page === undefined) return undefined;
    const frames = Buffer.from(page.frames.buffer, page.frames.byteOffset, page.frames.byteLength);
    return { firstSeq: page.firstSeq, lastSeq: page.lastSeq, count: page.count, frames, offsets: page.offsets };
  }

  /** Pages read again sorted because the scan's order failed the check (see FrameStatements). */
  async resorted(): Promise<number> {
    return (await this.#request({ type: 'stats' })).resorted ?? 0;
  }

  async close(): Promise<void> {
    // Behind every read already asked for: their readers get their pages.
    if (this.#failure === undefined) await this.#request({ type: 'close' }).catch(() => undefined);
    this.#failure ??= new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the SQLite store is closed');
    await this.#worker.terminate();
  }

  #request(message: ReaderRequest): Promise<Extract<ReaderReply, { ok: true }>> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ id, ...message });
    });
  }
}

/** The worker's module: beside this one once built; from the build when this file runs as TypeScript (tests). */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/store/sqlite-reader-worker.js', here) : new URL('./sqlite-reader-worker.js', here);
}
