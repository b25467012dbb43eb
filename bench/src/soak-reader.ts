import { connect, type Socket } from 'node:net';
import { FrameCounter } from './frame-counter.js';

/**
 * One reader of the soak run: a raw socket through the fault proxy that resumes with Last-Event-ID
 * after every cut, as EventSource does, and checks every seq without keeping them: each connection's
 * FrameCounter verifies that its entries run contiguously and that the first one follows the last
 * one of the previous connection. Any loss, repeat or reorder is an error. Memory stays constant
 * however long the run.
 */
export class SoakReader {
  /** Entries received over the connections that ended. */
  #ended = 0;
  errors = 0;
  firstError = '';
  connections = 0;
  readonly #port: number;
  readonly #stream: string;
  #lastSeq = 0;
  #socket: Socket | undefined;
  #counter: FrameCounter | undefined;
  #running = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(port: number, stream: string) {
    this.#port = port;
    this.#stream = stream;
  }

  /** Entries received over every connection, the open one included. */
  get entries(): number {
    return this.#ended + (this.#counter?.entries ?? 0);
  }

  /** The newest seq received whole. */
  get lastSeq(): number {
    const counter = this.#counter;
    return counter !== undefined && counter.entries > 0 ? counter.lastSeq : this.#lastSeq;
  }

  start(): this {
    this.#running = true;
    this.#connect();
    return this;
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#socket?.destroy();
  }

  #connect(): void {
    if (!this.#running) return;
    this.connections++;
    const resumeAt = this.#lastSeq;
    const counter = new FrameCounter({ verify: true, expectFirstSeq: resumeAt + 1 });
    const socket = connect({ host: '127.0.0.1', port: this.#port });
    this.#socket = socket;
    this.#counter = counter;
    socket.once('connect', () => {
      const cursor = resumeAt === 0 ? '' : `Last-Event-ID: ${this.#stream}:${resumeAt}\r\n`;
      socket.write(`GET /api/stream?from=start HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n${cursor}\r\n`);
    });
    socket.on('data', (chunk: Buffer) => counter.feed(chunk, 0));
    socket.on('error', () => {});
    socket.once('close', () => {
      // Only whole events count: the part of an event a cut split off is read again after resuming.
      if (counter.entries > 0) this.#lastSeq = counter.lastSeq;
      this.#ended += counter.entries;
      // A refused connection (503 while the server is busy) is retried, not a loss.
      if (counter.status === 200 || counter.status === 0) {
        this.errors += counter.errors;
        if (this.firstError === '' && counter.firstError !== '') this.firstError = counter.firstError;
      }
      this.#counter = undefined;
      if (this.#running) this.#timer = setTimeout(() => this.#connect(), Math.random() * 50);
    });
  }
}
