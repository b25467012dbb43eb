import type { StreamFilter } from '@livelog/client';
import type { HelloEvent, LogEntry } from '@livelog/protocol';
import { matchPages } from './search-pages.js';

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

/**
 * The last `count` entries up to the hello's head that pass the server's filter and `matches`,
 * oldest first, read back page by page from the head. What `-n N -i RE` means: the last N
 * *matching* lines, which the server alone cannot find when the match is a regex.
 */
export async function lastMatching(options: LastMatchingOptions): Promise<LogEntry[]> {
  const { hello, count, matches } = options;
  const found: LogEntry[] = [];
  if (count <= 0) return found;
  // Just past the head, so the head itself is read; an entry appended meanwhile is left to the stream.
  const pages = matchPages({
    url: options.url,
    ...(options.token ? { token: options.token } : {}),
    ...(options.stream === undefined ? {} : { stream: options.stream }),
    filter: options.filter,
    reverse: true,
    from: `${hello.stream}:${hello.last + 1}`,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  for await (const page of pages) {
    for (const entry of page.entries) {
      if (!matches(entry)) continue;
      found.push(entry);
      if (found.length === count) return found.reverse();
    }
  }
  return found.reverse();
}
