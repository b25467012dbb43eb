import type { LogEntry } from '@livelog/protocol';
import type { LivelogClientError } from './errors.js';
import type { StreamStatus } from './stream-status.js';
import type { Listener } from './typed-emitter.js';

/** The part of a stream an iterator needs. */
export interface IterableSource {
  on(event: 'entries', listener: Listener<readonly LogEntry[]>): () => void;
  on(event: 'status', listener: Listener<StreamStatus>): () => void;
  on(event: 'error', listener: Listener<LivelogClientError>): () => void;
  close(): void;
}

/** Options of a stream's async iterator. */
export interface IterateOptions {
  /**
   * Entries held for a consumer that has not asked for them yet. At this many the stream stops
   * reading from the network (TCP backpressure, and the server's own stall handling) until the
   * consumer catches up to half of it; nothing is dropped. Defaults to 10,000.
   */
  highWaterMark?: number;
}

/**
 * The entries of `source` as an async iterator, in order, each once. It ends when the stream is
 * closed, throws the error that ended it fatally, and closes the stream when the loop is left early.
 */
export function iterateEntries(source: IterableSource, options: IterateOptions = {}): AsyncIterableIterator<LogEntry> {
  const highWaterMark = Math.max(1, options.highWaterMark ?? 10_000);
  let queue: LogEntry[] = [];
  let head = 0;
  let done = false;
  let failure: LivelogClientError | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const buffered = (): number => queue.length - head;
  const notify = (): void => {
    const wake = wakeConsumer;
    wakeConsumer = undefined;
    wake?.();
  };
  const finish = (): void => {
    done = true;
    for (const off of unsubscribe) off();
    notify();
    wakeProducer?.();
  };
  const unsubscribe = [
    source.on('entries', (batch) => {
      for (const entry of batch) queue.push(entry);
      notify();
      if (buffered() < highWaterMark) return;
      return new Promise<void>((resolve) => {
        wakeProducer = () => {
          wakeProducer = undefined;
          resolve();
        };
      });
    }),
    source.on('error', (error) => {
      failure = error;
    }),
    source.on('status', (status) => {
      if (status.state === 'closed') finish();
    }),
  ];

  const iterator: AsyncIterableIterator<LogEntry> = {
    async next(): Promise<IteratorResult<LogEntry>> {
      for (;;) {
        if (head < queue.length) {
          const value = queue[head] as LogEntry;
          head++;
          if (head > 4096 && head * 2 > queue.length) {
            queue = queue.slice(head);
            head = 0;
          }
          if (wakeProducer !== undefined && buffered() <= highWaterMark / 2) wakeProducer();
          return { value, done: false };
        }
        if (done) {
          if (failure !== undefined) {
            const error = failure;
            failure = undefined;
            throw error;
          }
          return { value: undefined, done: true };
        }
        await new Promise<void>((resolve) => {
          wakeConsumer = resolve;
        });
      }
    },
    async return(): Promise<IteratorResult<LogEntry>> {
      source.close();
      finish();
      queue = [];
      head = 0;
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
