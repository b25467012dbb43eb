import { type LevelName, type LogEntry, levelNumber } from '@livelog/protocol';

/**
 * Which entries a reader wants. Every part is optional; all given parts must match.
 * The same filter serves the stream (applied to each entry) and history (pushed into the store).
 */
export interface EntryFilter {
  /** Minimum level. */
  level?: LevelName;
  /** Only these sources. */
  sources?: readonly string[];
  /** Case-insensitive substring of the message or of the fields' JSON. */
  q?: string;
}

/** True when the filter lets every entry through. */
export function isEmptyFilter(filter: EntryFilter | undefined): boolean {
  return filter === undefined || (filter.level === undefined && (filter.sources === undefined || filter.sources.length === 0) && !filter.q);
}

/** A predicate for `filter`, built once per reader. */
export function compileFilter(filter: EntryFilter | undefined): (entry: LogEntry) => boolean {
  if (filter === undefined || isEmptyFilter(filter)) return () => true;
  const minLevel = filter.level === undefined ? 0 : levelNumber(filter.level);
  const sources = filter.sources !== undefined && filter.sources.length > 0 ? new Set(filter.sources) : undefined;
  const needle = filter.q ? filter.q.toLowerCase() : undefined;
  return (entry) =>
    levelNumber(entry.level) >= minLevel &&
    (sources === undefined || sources.has(entry.source)) &&
    (needle === undefined || textMatches(entry, needle));
}

/** Case-insensitive substring test of `needle` (already lower case) against the entry's text. */
export function textMatches(entry: Pick<LogEntry, 'msg' | 'fields'>, needle: string): boolean {
  if (entry.msg.toLowerCase().includes(needle)) return true;
  return entry.fields !== undefined && JSON.stringify(entry.fields).toLowerCase().includes(needle);
}
