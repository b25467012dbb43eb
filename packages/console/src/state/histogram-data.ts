import { joinSourceList, type LogEntry } from '@livelog/protocol';
import { type ApiTarget, getApiJson, type HistogramAnswer } from './api-json.js';
import { describeError } from './describe-error.js';
import type { ServerFilter } from './line-filter.js';

/** Buckets asked for: one bar every few pixels of a desktop strip, still readable on a phone. */
export const HISTOGRAM_BUCKETS = 60;

/**
 * The volume strip's data: `GET /api/histogram` for the shown filter and range, then kept current by
 * counting the lines the stream delivers after it (those with a seq past the newest one known when
 * the answer came), so it moves with the log without asking the server again for every line.
 */
export class HistogramData {
  answer: HistogramAnswer | undefined;
  error: string | undefined;
  loading = false;
  readonly #changed: () => void;
  #request = 0;
  #abort: AbortController | undefined;
  /** Lines with a seq above this are not in the answer yet. */
  #countedTo = Number.POSITIVE_INFINITY;
  #key = '';
  #live = false;

  constructor(changed: () => void) {
    this.#changed = changed;
  }

  /**
   * Asks for the histogram of `filter` unless it is the one shown. `newest`: the newest seq this
   * console knows of, read when the answer arrives. `live`: the range runs until now, so new lines extend it.
   */
  load(target: ApiTarget, filter: ServerFilter, newest: () => number | undefined, force = false): boolean {
    const params = new URLSearchParams();
    params.set('buckets', String(HISTOGRAM_BUCKETS));
    if (filter.level) params.set('level', filter.level);
    if (filter.source && filter.source.length > 0) params.set('source', joinSourceList(filter.source));
    if (filter.q) params.set('q', filter.q);
    if (filter.since) params.set('since', filter.since);
    if (filter.until) params.set('until', filter.until);
    const key = `${target.url}|${target.stream ?? ''}|${params}`;
    if (key === this.#key && !force) return false;
    this.#key = key;
    this.#live = filter.until === undefined;
    this.#abort?.abort();
    const abort = new AbortController();
    this.#abort = abort;
    const request = ++this.#request;
    this.loading = true;
    this.#changed();
    getApiJson<HistogramAnswer>(target, 'histogram', params, abort.signal).then(
      (answer) => {
        if (request !== this.#request) return;
        this.answer = answer;
        this.error = undefined;
        this.loading = false;
        this.#countedTo = newest() ?? 0;
        this.#changed();
      },
      (error: unknown) => {
        if (request !== this.#request || abort.signal.aborted) return;
        this.error = describeError(error);
        this.loading = false;
        this.#changed();
      },
    );
    return true;
  }

  /** Forgets what is shown, so the next `load` asks again (another server, stream or token). */
  reset(): void {
    this.#abort?.abort();
    this.#request++;
    this.#key = '';
    this.answer = undefined;
    this.error = undefined;
  }

  /** Counts lines the stream delivered after the answer into their buckets, adding buckets as time moves on. */
  noteEntries(batch: readonly LogEntry[]): void {
    const answer = this.answer;
    if (answer === undefined || !this.#live || answer.bucketMs <= 0) return;
    let touched = false;
    for (const entry of batch) {
      if (entry.seq <= this.#countedTo) continue;
      this.#countedTo = entry.seq;
      if (entry.time < answer.since) continue;
      const index = Math.floor((entry.time - answer.since) / answer.bucketMs);
      // A line far past the strip's end (a clock jump): leave it to the next load rather than add thousands of bars.
      if (index >= answer.buckets.length + HISTOGRAM_BUCKETS) continue;
      while (answer.buckets.length <= index) {
        answer.buckets.push({ start: answer.since + answer.buckets.length * answer.bucketMs, counts: {} });
      }
      const bucket = answer.buckets[index];
      if (bucket === undefined) continue;
      bucket.counts[entry.level] = (bucket.counts[entry.level] ?? 0) + 1;
      answer.until = Math.max(answer.until, bucket.start + answer.bucketMs);
      touched = true;
    }
    if (touched) this.#changed();
  }
}
