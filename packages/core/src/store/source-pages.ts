import type { SourceInfo, SourcesQuery } from './log-store.js';

/** Sources in name order (code unit order, as SQLite's BINARY collation), one page when a query is given. */
export function pageSources(sources: readonly SourceInfo[], query: SourcesQuery = {}): SourceInfo[] {
  const after = query.after;
  const sorted = sources
    .filter((source) => after === undefined || source.name > after)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return query.limit === undefined ? sorted : sorted.slice(0, query.limit);
}
