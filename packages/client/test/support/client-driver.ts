import type { BackoffOptions, StreamFilter, StreamStart } from '@livelog/client';
import type { RecorderSnapshot, RecordOptions } from './stream-recorder.js';

/** Options of a stream under test: JSON-safe, so they can cross into a browser page. */
export interface DriverOpenOptions extends RecordOptions {
  url: string;
  token?: string;
  /** A named stream. */
  stream?: string;
  start?: StreamStart;
  filter?: StreamFilter;
  backoff?: Omit<BackoffOptions, 'random'>;
  connectTimeoutMs?: number;
  persist?: boolean;
  share?: boolean;
  visibleReconnectMs?: number;
}

/** A stream running in the client under test. */
export interface DriverStream {
  snapshot(withSeqs?: boolean): Promise<RecorderSnapshot>;
  /** Calls reconnectNow() `times` times in one synchronous burst. */
  reconnectNow(times?: number): Promise<void>;
  close(): Promise<void>;
}

/** Runs @livelog/client somewhere (this process, a browser page) for the shared suite. */
export interface ClientDriver {
  readonly name: string;
  /**
   * True where body bytes that arrived just before a connection failed may never reach the page
   * (browsers error the body stream and drop its queue). The cursor then stays further back, which
   * is safe; tests can only require that it never moves too far.
   */
  readonly dropsBytesOnError: boolean;
  open(options: DriverOpenOptions): Promise<DriverStream>;
  /** Closes every stream opened since the last call. */
  closeAll(): Promise<void>;
  dispose(): Promise<void>;
}
