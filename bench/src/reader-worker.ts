import { connect, type Socket } from 'node:net';
import { nowUs } from './entries.js';
import { FrameCounter, type LatencySink } from './frame-counter.js';
import { announceReady, serveRpc } from './rpc.js';

/** A group of SSE readers opened together. */
export interface OpenArgs {
  port: number;
  /** Request path with query, e.g. `/api/stream?from=start`. */
  path: string;
  /** One path per reader, overriding `path` (one reader per stream); `readers` must equal its length. */
  paths?: string[];
  readers: number;
  /** Every reader's first entry must have this seq. */
  expectFirstSeq?: number;
  /** Every `sampleEvery`-th reader (counting from `indexOffset`) records latency for seqs >= fromSeq. */
  latency?: { sampleEvery: number; fromSeq: number; indexOffset: number };
  /** Every `verifyEvery`-th reader checks each frame's seq; the others count from the seqs they see. */
  verifyEvery?: number;
  /** Arms `waitFor` before connecting, for readers whose entries flow at once (replay). */
  target?: number;
  /** Connections opened at once. */
  wave?: number;
  /**
   * Per reader (by index): a `Last-Event-ID` header to resume from, the seq its first entry must
   * have, and the entries that make it caught up (its own target, instead of the armed one).
   */
  resume?: { lastEventId: string; firstSeq: number; target: number }[];
}

export interface GroupReport {
  readers: number;
  /** When the last reader reached the armed target (µs, CLOCK_MONOTONIC), or 0. */
  doneAtUs: number;
  minEntries: number;
  maxEntries: number;
  errors: number;
  firstError: string;
  /** Readers whose connection closed. */
  closed: number;
  /** Readers that checked every frame (the others counted from the seqs they saw). */
  verified: number;
  /** Readers at their target. */
  reached: number;
  /** Entries received, each reader's counted up to its target: progress towards the round's total. */
  towardsTarget: number;
  timedOut: boolean;
}

export interface ReaderApi {
  [method: string]: (arg: never) => unknown;
  open(arg: OpenArgs): Promise<GroupReport>;
  arm(arg: { target: number }): void;
  wait(arg: { timeoutMs: number }): Promise<GroupReport>;
  report(arg: undefined): GroupReport;
  latency(arg: undefined): Float64Array;
  /** When each reader reached its target (µs, CLOCK_MONOTONIC; 0: not yet), in the order opened. */
  times(arg: undefined): Float64Array;
  close(arg: undefined): Promise<void>;
}

interface Reader {
  verify: boolean;
  socket: Socket;
  counter: FrameCounter;
  reachedAt: number;
  closed: boolean;
  /** Entries after which this reader counts as caught up; undefined: the armed target. */
  target: number | undefined;
}

let readers: Reader[] = [];
let target = Number.POSITIVE_INFINITY;
let reached = 0;
let onReached: (() => void) | undefined;
let samples = new Float64Array(1 << 16);
let sampleCount = 0;

const latencySink = (fromSeq: number): LatencySink => ({
  fromSeq,
  add(us) {
    if (sampleCount === samples.length) {
      const grown = new Float64Array(samples.length * 2);
      grown.set(samples);
      samples = grown;
    }
    samples[sampleCount++] = us;
  },
});

function openOne(args: OpenArgs, index: number): Promise<Reader> {
  const sampled = args.latency !== undefined && (index + args.latency.indexOffset) % args.latency.sampleEvery === 0;
  const verify = sampled || index % (args.verifyEvery ?? 1) === 0;
  const resume = args.resume?.[index];
  const expectFirstSeq = resume?.firstSeq ?? args.expectFirstSeq;
  const counter = new FrameCounter({
    verify,
    ...(expectFirstSeq !== undefined ? { expectFirstSeq } : {}),
    ...(sampled && args.latency !== undefined ? { latency: latencySink(args.latency.fromSeq) } : {}),
  });
  const socket = connect({ host: '127.0.0.1', port: args.port });
  socket.setNoDelay(true);
  const reader: Reader = { verify, socket, counter, reachedAt: 0, closed: false, target: resume?.target };
  const resumeHeader = resume === undefined ? '' : `Last-Event-ID: ${resume.lastEventId}\r\n`;
  readers.push(reader);
  return new Promise((resolve, reject) => {
    let settled = false;
    socket.once('connect', () => {
      socket.write(
        `GET ${args.paths?.[index] ?? args.path} HTTP/1.1\r\nHost: 127.0.0.1:${args.port}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n${resumeHeader}\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      counter.feed(chunk, nowUs());
      if (!settled && (counter.sawEvent || (counter.status > 0 && counter.status !== 200))) {
        settled = true;
        if (counter.status === 200) resolve(reader);
        else reject(new Error(counter.firstError));
      }
      if (reader.reachedAt === 0 && counter.entries >= (reader.target ?? target)) {
        reader.reachedAt = nowUs();
        reached++;
        if (reached === readers.length) onReached?.();
      }
    });
    socket.on('error', (error) => {
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
    socket.on('close', () => {
      reader.closed = true;
      if (!settled) {
        settled = true;
        reject(new Error(`connection closed before the first event (${counter.firstError || 'no answer'})`));
      }
      // A reader that is gone cannot reach the target: let a waiting round end now.
      onReached?.();
    });
  });
}

function report(timedOut = false): GroupReport {
  let minEntries = Number.POSITIVE_INFINITY;
  let maxEntries = 0;
  let errors = 0;
  let firstError = '';
  let doneAtUs = 0;
  let closed = 0;
  let verified = 0;
  let towardsTarget = 0;
  for (const reader of readers) {
    if (reader.verify) verified++;
    towardsTarget += Math.min(reader.counter.entries, reader.target ?? target);
    minEntries = Math.min(minEntries, reader.counter.entries);
    maxEntries = Math.max(maxEntries, reader.counter.entries);
    errors += reader.counter.errors;
    if (firstError === '' && reader.counter.firstError !== '') firstError = reader.counter.firstError;
    doneAtUs = reader.reachedAt === 0 ? doneAtUs : Math.max(doneAtUs, reader.reachedAt);
    if (reader.closed) closed++;
  }
  if (reached < readers.length) doneAtUs = 0;
  return {
    readers: readers.length,
    doneAtUs,
    minEntries: readers.length === 0 ? 0 : minEntries,
    maxEntries,
    errors,
    firstError,
    closed,
    verified,
    reached,
    towardsTarget,
    timedOut,
  };
}

function arm(next: number): void {
  target = next;
  reached = 0;
  for (const reader of readers) {
    reader.reachedAt = reader.counter.entries >= (reader.target ?? target) ? nowUs() : 0;
    if (reader.reachedAt !== 0) reached++;
  }
}

const api: ReaderApi = {
  async open(args) {
    if (args.target !== undefined) arm(args.target);
    const wave = args.wave ?? 100;
    for (let first = 0; first < args.readers; first += wave) {
      await Promise.all(Array.from({ length: Math.min(wave, args.readers - first) }, (_, i) => openOne(args, first + i)));
    }
    return report();
  },
  arm({ target: next }) {
    arm(next);
  },
  wait({ timeoutMs }) {
    if (reached === readers.length) return Promise.resolve(report());
    return new Promise<GroupReport>((resolve) => {
      const timer = setTimeout(() => {
        onReached = undefined;
        resolve(report(true));
      }, timeoutMs);
      onReached = () => {
        if (reached < readers.length && !readers.some((reader) => reader.closed && reader.reachedAt === 0)) return;
        clearTimeout(timer);
        onReached = undefined;
        resolve(report());
      };
    });
  },
  report() {
    return report();
  },
  times() {
    return Float64Array.from(readers, (reader) => reader.reachedAt);
  },
  latency() {
    const out = samples.slice(0, sampleCount);
    samples = new Float64Array(1 << 16);
    sampleCount = 0;
    return out;
  },
  async close() {
    const closing = readers.map(
      (reader) =>
        new Promise<void>((resolve) => {
          if (reader.closed) resolve();
          else {
            reader.socket.once('close', () => resolve());
            reader.socket.destroy();
          }
        }),
    );
    await Promise.all(closing);
    readers = [];
    target = Number.POSITIVE_INFINITY;
    reached = 0;
  },
};

serveRpc(api);
announceReady(undefined);
