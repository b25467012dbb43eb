import { fetchHistory, type StreamFilter } from '@livelog/client';
import type { HelloEvent, LogEntry } from '@livelog/protocol';

/** What `lastMatching` reads. */
export interface LastMatchingOptions {
  url: string;
  token?: string;
  /** The named stream, if not `default`. */
  stream?: string;
  /** The filters the server applies (level, source, and `q` when it narrows the matcher). */
  filter: StreamFilter;
  /** The stream's hello: entries up to its head are history, later ones come live. */
  hello: HelloEvent;
  count: number;
  /** The client-side test (`-i`/`-e`) the entries must pass. */
  matches: (entry: LogEntry) => boolean;
  signal?: AbortSignal;
}

/** Entries per history request: the server's largest page. */
const PAGE = 1000;

/**
 * The last `count` entries up to the hello's head that pass the server's filter and `matches`,
 * oldest first, read back page by page from the head. What `-n N -i RE` means: the last N
 * *matching* lines, which the server alone cannot find when the match is a regex.
 */
export async function lastMatching(options: LastMatchingOptions): Promise<LogEntry[]> {
  const { hello, count, matches } = options;
  const found: LogEntry[] = [];
  // Just past the head, so the head itself is read; an entry appended meanwhile is left to the stream.
  let before = `${hello.stream}:${hello.last + 1}`;
  while (found.length < count) {
    const page = await fetchHistory({
      url: options.url,
      ...(options.token ? { token: options.token } : {}),
      ...(options.stream === undefined ? {} : { stream: options.stream }),
      before,
      limit: PAGE,
      filter: options.filter,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for (let i = page.entries.length - 1; i >= 0 && found.length < count; i--) {
      const entry = page.entries[i] as LogEntry;
      if (matches(entry)) found.push(entry);
    }
    // `next`, not the oldest entry: a page cut short by the server's scan budget may hold none.
    const next = page.next ?? page.entries[0]?.id;
    if (!page.hasMore || next === undefined) break;
    before = next;
  }
  return found.reverse();
}
