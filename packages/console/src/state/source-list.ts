import { fetchSources, type ServerOptions, type SourceSummary } from '@livelog/client';
import type { LogEntry } from '@livelog/protocol';

/** How old the list may get before a periodic refresh asks the server again, in ms. */
const MAX_AGE_MS = 30_000;

/**
 * Every source the reader knows of: all those the server stored (`GET /api/sources`), so a source with
 * no line loaded can still be chosen, plus any seen in lines since the last refresh.
 */
export class SourceList {
  readonly #server: ServerOptions;
  readonly #changed: () => void;
  readonly #byName = new Map<string, SourceSummary>();
  #fetchedAt = 0;
  #loading: Promise<void> | undefined;
  /** Bumped when the stream changes, so an answer about a forgotten stream is dropped. */
  #epoch = 0;
  /** The identity of the stream the sources are of (from `hello`). */
  #stream: string | undefined;

  /** Asks `server` for its sources; `changed` is told after each answer. */
  constructor(server: ServerOptions, changed: () => void) {
    this.#server = server;
    this.#changed = changed;
  }

  /** Names, sorted. */
  names(): string[] {
    return [...this.#byName.keys()].sort();
  }

  summaries(): SourceSummary[] {
    return [...this.#byName.values()];
  }

  /** Adds the sources of lines that arrived, if new. */
  noteLines(batch: readonly LogEntry[]): void {
    for (const entry of batch) {
      if (!this.#byName.has(entry.source)) {
        this.#byName.set(entry.source, { name: entry.source, entries: 0, lastSeq: entry.seq, lastTime: entry.time });
      }
    }
  }

  /**
   * A connection said hello with this stream identity. Another identity than before means the
   * server's data is another stream now: every source is forgotten. Either way a (re)connect is when
   * sources may have appeared unseen, so the list is refreshed, at most once every few seconds.
   */
  hello(stream: string): void {
    if (this.#stream !== undefined && this.#stream !== stream) {
      this.#byName.clear();
      this.#epoch++;
      this.#fetchedAt = 0;
    }
    this.#stream = stream;
    void this.refresh(5000);
  }

  /** Asks the server unless the list is younger than `maxAgeMs`. Concurrent calls share one request. */
  refresh(maxAgeMs = 0, now = Date.now()): Promise<void> {
    if (this.#loading !== undefined) return this.#loading;
    if (now - this.#fetchedAt < maxAgeMs) return Promise.resolve();
    this.#fetchedAt = now;
    const epoch = this.#epoch;
    this.#loading = (async () => {
      try {
        const summaries = await fetchSources(this.#server);
        if (epoch !== this.#epoch) return;
        for (const summary of summaries) this.#byName.set(summary.name, summary);
        this.#changed();
      } catch {
        // The list is a convenience: sources seen in lines are still offered, and the next refresh retries.
        this.#fetchedAt = 0;
      } finally {
        this.#loading = undefined;
      }
    })();
    return this.#loading;
  }

  /** Refreshes when the list is older than 30 s (for a periodic tick). */
  refreshIfStale(now = Date.now()): void {
    void this.refresh(MAX_AGE_MS, now);
  }
}
