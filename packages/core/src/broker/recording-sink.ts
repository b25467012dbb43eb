import type { LogEntry } from '@livelog/protocol';
import type { SseSink } from '../sse/sse-sink.js';

/**
 * An SseSink that keeps what it is given, reads it back as a browser would (entries, named events,
 * the last event id), and can act like a socket whose buffer is full. For broker tests and the
 * broker contract suite: the broker writes to it exactly as to an HTTP response.
 */
export class RecordingSink implements SseSink {
  text = '';
  closed = false;
  /** While true, writes answer `false` as a full socket does. */
  full = false;
  /** Bytes "not yet taken by the OS": set by tests that act like a slow reader. */
  buffered = 0;
  /** When set, `drain` is emitted on the next tick after a refused write, as Node may do. */
  drainOnNextTick = false;
  #drain: (() => void)[] = [];
  #close: (() => void)[] = [];

  write(chunk: Buffer | string): boolean {
    this.text += chunk.toString();
    if (this.full && this.drainOnNextTick) {
      process.nextTick(() => this.drain());
      return false;
    }
    return !this.full;
  }
  onceDrain(listener: () => void): void {
    this.#drain.push(listener);
  }
  onceClose(listener: () => void): void {
    this.#close.push(listener);
  }
  end(): void {
    this.#closeNow();
  }
  destroy(): void {
    this.#closeNow();
  }
  /** Emits `drain` to whoever waits for it. */
  drain(): void {
    for (const listener of this.#drain.splice(0)) listener();
  }
  #closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.#close.splice(0)) listener();
  }
  /** Entries received so far, in order. */
  entries(): LogEntry[] {
    return this.frames().map((frame) => frame.entry);
  }
  /** Entries with the `id:` of their frame. */
  frames(): { id: string; entry: LogEntry }[] {
    return [...this.text.matchAll(/^data: (\{"id".*)\nid: (.*)$/gm)].map((match) => ({
      id: match[2] as string,
      entry: JSON.parse(match[1] as string) as LogEntry,
    }));
  }
  seqs(): number[] {
    return this.entries().map((entry) => entry.seq);
  }
  /** Payloads of the named events `name`, in order. */
  events(name: string): unknown[] {
    return [...this.text.matchAll(new RegExp(`^event: ${name}\\n(?:retry: .*\\n)?data: (.*)$`, 'gm'))].map((match) =>
      JSON.parse(match[1] as string),
    );
  }
  /** The last `id:` written (entries, id-only events, hello, gap): where an EventSource would resume. */
  lastEventId(): string | undefined {
    const ids = [...this.text.matchAll(/^id: (.*)$/gm)];
    return ids[ids.length - 1]?.[1];
  }
}
