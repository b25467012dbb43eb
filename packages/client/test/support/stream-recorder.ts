import type { LogStream, StreamState, StreamStats } from '@livelog/client';
import type { EndEvent, GapEvent, LogEntry } from '@livelog/protocol';

/** One status event, with the time it was seen. */
export interface StatusRecord {
  at: number;
  state: StreamState;
  attempt: number;
  nextRetryMs: number | undefined;
  lastEventId: string;
  error: string | undefined;
}

/** Everything a recorder saw, JSON-safe so a browser page can hand it to the test. */
export interface RecorderSnapshot {
  seqs: number[];
  count: number;
  lastSeq: number;
  msgs: string[];
  statuses: StatusRecord[];
  errors: { code: string; status: number | undefined; message: string }[];
  gaps: GapEvent[];
  /** `end` events received (one at most). */
  ends: EndEvent[];
  resets: number;
  hellos: number;
  stats: StreamStats;
  state: StreamState;
  lastEventId: string;
}

/** How the recorder consumes the stream. */
export interface RecordOptions {
  /** `events`: on('entries'); `iterator`: for await over stream.entries(). Defaults to events. */
  consume?: 'events' | 'iterator';
  highWaterMark?: number;
  /** A slow consumer: pause this long every 50 entries. */
  consumerDelayMs?: number;
  /** Keep the messages too. */
  keepMsgs?: boolean;
}

/** The public face of a LogStream (structural, so the source build and the dist build both fit). */
export type RecordableStream = Pick<LogStream, 'on' | 'stats' | 'status' | 'lastEventId' | 'entries'>;

/**
 * Records what a stream delivers, the same way in Node and in a browser page (this file is bundled
 * into the page), so one suite can assert on both.
 */
export class StreamRecorder {
  readonly seqs: number[] = [];
  readonly msgs: string[] = [];
  readonly statuses: StatusRecord[] = [];
  readonly errors: RecorderSnapshot['errors'] = [];
  readonly gaps: GapEvent[] = [];
  readonly ends: EndEvent[] = [];
  resets = 0;
  hellos = 0;
  readonly #stream: RecordableStream;

  constructor(stream: RecordableStream, options: RecordOptions = {}) {
    this.#stream = stream;
    const take = (entry: LogEntry): void => {
      this.seqs.push(entry.seq);
      if (options.keepMsgs) this.msgs.push(entry.msg);
    };
    stream.on('status', (status) => {
      this.statuses.push({
        at: Date.now(),
        state: status.state,
        attempt: status.attempt,
        nextRetryMs: status.nextRetryMs,
        lastEventId: status.lastEventId,
        error: status.error?.code,
      });
    });
    stream.on('error', (error) => {
      this.errors.push({ code: error.code, status: error.status, message: error.message });
    });
    stream.on('gap', (gap) => {
      this.gaps.push(gap);
    });
    stream.on('end', (end) => {
      this.ends.push(end);
    });
    stream.on('reset', () => {
      this.resets++;
    });
    stream.on('hello', () => {
      this.hellos++;
    });
    if (options.consume === 'iterator') {
      void (async () => {
        let n = 0;
        try {
          for await (const entry of stream.entries({ highWaterMark: options.highWaterMark ?? 10_000 })) {
            take(entry);
            if (options.consumerDelayMs !== undefined && ++n % 50 === 0) await new Promise((r) => setTimeout(r, options.consumerDelayMs));
          }
        } catch {
          // The error is recorded by the error listener.
        }
      })();
    } else {
      stream.on('entries', (batch) => {
        for (const entry of batch) take(entry);
      });
    }
  }

  snapshot(withSeqs = true): RecorderSnapshot {
    return {
      seqs: withSeqs ? [...this.seqs] : [],
      count: this.seqs.length,
      lastSeq: this.seqs[this.seqs.length - 1] ?? 0,
      msgs: withSeqs ? [...this.msgs] : [],
      statuses: [...this.statuses],
      errors: [...this.errors],
      gaps: [...this.gaps],
      ends: [...this.ends],
      resets: this.resets,
      hellos: this.hellos,
      stats: this.#stream.stats(),
      state: this.#stream.status.state,
      lastEventId: this.#stream.lastEventId,
    };
  }
}
