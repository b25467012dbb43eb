import { type LevelName, type LogEntry, levelNumber, matchEntry, type QueryNode } from '@livelog/protocol';

/**
 * Which entries a reader wants. Every part is optional; all given parts must match.
 * The same filter serves the stream (applied to each entry) and history (pushed into the store).
 */
export interface EntryFilter {
  /** Minimum level. */
  level?: LevelName;
  /** Only these sources. */
  sources?: readonly string[];
  /**
   * A parsed search query (`parseQuery` of the `q` parameter); `matchEntry` is its meaning in every
   * executor. @see ../../../../docs/reference/query-language.md
   */
  query?: QueryNode;
}

/** True when the filter lets every entry through. */
export function isEmptyFilter(filter: EntryFilter | undefined): boolean {
  return (
    filter === undefined ||
    (filter.level === undefined &&
      (filter.sources === undefined || filter.sources.length === 0) &&
      (filter.query === undefined || filter.query.type === 'all'))
  );
}

/** A predicate for `filter`, built once per reader. */
export function compileFilter(filter: EntryFilter | undefined): (entry: LogEntry) => boolean {
  if (filter === undefined || isEmptyFilter(filter)) return () => true;
  const minLevel = filter.level === undefined ? 0 : levelNumber(filter.level);
  const sources = filter.sources !== undefined && filter.sources.length > 0 ? new Set(filter.sources) : undefined;
  const query = filter.query !== undefined && filter.query.type !== 'all' ? filter.query : undefined;
  return (entry) =>
    levelNumber(entry.level) >= minLevel &&
    (sources === undefined || sources.has(entry.source)) &&
    (query === undefined || matchEntry(query, entry));
}
