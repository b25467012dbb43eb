import type { SourceInfo, SourcesQuery } from '@livelog/core';
import type { RedisKeys } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';

/** A stream's sources in name order, from its two source hashes; one page with `after` / `limit`. */
export async function readSources(link: RedisLink, keys: RedisKeys, query: SourcesQuery): Promise<SourceInfo[]> {
  const [counts, lasts] = await Promise.all([
    link.send<string[]>(keys.sourceCount, ['HGETALL', keys.sourceCount]),
    link.send<string[]>(keys.sourceLast, ['HGETALL', keys.sourceLast]),
  ]);
  const last = new Map<string, string>();
  for (let i = 0; i < lasts.length; i += 2) last.set(lasts[i] as string, lasts[i + 1] as string);
  const sources: SourceInfo[] = [];
  for (let i = 0; i < counts.length; i += 2) {
    const name = counts[i] as string;
    if (query.after !== undefined && name <= query.after) continue;
    const seen = last.get(name) ?? '0:0';
    const colon = seen.indexOf(':');
    sources.push({ name, entries: Number(counts[i + 1]), lastSeq: Number(seen.slice(0, colon)), lastTime: Number(seen.slice(colon + 1)) });
  }
  // Code-unit order, as SQLite's BINARY collation and the `after` comparison above.
  sources.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return query.limit === undefined ? sources : sources.slice(0, query.limit);
}
