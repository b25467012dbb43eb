import { Worker } from 'node:worker_threads';
import { LivelogError } from '../errors.js';
import type { FrameRead } from './sqlite-frames.js';
import { type WorkerAnswer, WorkerCalls } from './worker-calls.js';

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

export type ReaderReply = { id: number } & WorkerAnswer<{ page?: WireFrames; resorted?: number }>;

/**
 * The SQLite reader thread: catch-up pages of frames (see FrameStatements) are built on a connection
 * of their own in another thread, so that SQLite reads the next page while the event loop writes this
 * one to the socket. Building a page was ~70% of the server's CPU in a replay, all on the event loop.
 * Requests run one at a time, in order; the frames come back as transferred memory, not copied.
 */
export class SqliteReader {
  readonly #calls: WorkerCalls<ReaderRequest, { page?: WireFrames; resorted?: number }>;

  private constructor(worker: Worker) {
    this.#calls = new WorkerCalls(
      worker,
      (code) => new LivelogError('LIVELOG_ERR_STORE_CLOSED', `the SQLite reader thread exited (code ${code})`),
    );
  }

  /** Starts the reader thread on `file`. `reverseScans` (tests only) makes SQLite scan tables backwards where order is not asked for. */
  static async start(file: string, reverseScans = false): Promise<SqliteReader> {
    const reader = new SqliteReader(new Worker(workerUrl()));
    try {
      await reader.#calls.call({ type: 'open', file, reverseScans });
    } catch (error) {
      await reader.#calls.terminate();
      throw error;
    }
    return reader;
  }

  /** Up to `limit` entries of stream `key` after `after` as frames (see FrameStatements.read). */
  async frames(key: number, after: number, limit: number, prefix: string): Promise<FrameRead | undefined> {
    const { page } = await this.#calls.call({ type: 'frames', key, after, limit, prefix });
    if (page === undefined) return undefined;
    const frames = Buffer.from(page.frames.buffer, page.frames.byteOffset, page.frames.byteLength);
    return { firstSeq: page.firstSeq, lastSeq: page.lastSeq, count: page.count, frames, offsets: page.offsets };
  }

  /** Pages read again sorted because the scan's order failed the check (see FrameStatements). */
  async resorted(): Promise<number> {
    return (await this.#calls.call({ type: 'stats' })).resorted ?? 0;
  }

  /** Behind every read already asked for: their readers get their pages. */
  close(): Promise<void> {
    return this.#calls.close({ type: 'close' }, new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the SQLite store is closed'));
  }
}

/** The worker's module: beside this one once built; from the build when this file runs as TypeScript (tests). */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/store/sqlite-reader-worker.js', here) : new URL('./sqlite-reader-worker.js', here);
}
