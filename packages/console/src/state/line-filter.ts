import type { StreamFilter } from '@livelog/client';
import { compileUserRegExp, isLevelName, type LevelName, type LogEntry, levelNumber, splitSourceList } from '@livelog/protocol';
import { compileQuery, isPlainQuery } from './query-text.js';
import type { TimeRange } from './time-range.js';

/** What the user asked to see. Text is a query of livelog's query language (or a regex, run locally). */
export interface FilterState {
  /** Minimum level; undefined shows every level. */
  level: LevelName | undefined;
  /** Only these sources; empty shows every source. */
  sources: readonly string[];
  text: string;
  /** `text` is a regular expression rather than a plain substring. */
  regex: boolean;
  /** Show the lines that do not match `text` (level and sources still apply). */
  invert: boolean;
}

/**
 * The part of a filter the server can run: `level`, `source`, `q` on the stream and on history. It is
 * the client's StreamFilter as `serverFilterOf` builds it: sources sorted, empty parts left out.
 */
export interface ServerFilter extends StreamFilter {
  level?: LevelName;
  source?: string[];
  q?: string;
  since?: string;
  until?: string;
}

export const EMPTY_FILTER: FilterState = { level: undefined, sources: [], text: '', regex: false, invert: false };

/** The filter the `level` and `source` attributes ask for: an unknown level shows every level. */
export function filterFromAttributes(level: string | undefined, source: string | undefined): Pick<FilterState, 'level' | 'sources'> {
  const name = level?.trim().toLowerCase();
  const sources = splitSourceList(source ?? '');
  return { level: name !== undefined && isLevelName(name) ? name : undefined, sources };
}

/**
 * The server-side part of `state` and `range`. A regex or an inverted search cannot run on the server
 * (it knows its query language, not regular expressions), so those lines all come and the local filter decides.
 */
export function serverFilterOf(state: FilterState, range: TimeRange = {}): ServerFilter {
  const filter: ServerFilter = {};
  if (state.level !== undefined && state.level !== 'trace') filter.level = state.level;
  if (state.sources.length > 0) filter.source = [...state.sources].sort();
  // An invalid query is not sent: the server would refuse the stream; it shows no line here until fixed.
  if (state.text.trim() !== '' && !state.regex && !state.invert && compileQuery(state.text).error === undefined)
    filter.q = state.text.trim();
  if (range.since) filter.since = range.since;
  if (range.until) filter.until = range.until;
  return filter;
}

/**
 * True when every entry `next` lets through, `previous` let through too: then lines already loaded
 * under `previous` are a complete superset, and narrowing needs no reload, only local filtering.
 */
export function isNarrowerOrEqual(next: ServerFilter, previous: ServerFilter): boolean {
  if (previous.level !== undefined && (next.level === undefined || levelNumber(next.level) < levelNumber(previous.level))) return false;
  if (previous.source !== undefined) {
    if (next.source === undefined) return false;
    const allowed = new Set(previous.source);
    if (!next.source.every((source) => allowed.has(source))) return false;
  }
  if (previous.q !== undefined) {
    // Anything containing next.q also contains previous.q when previous.q is part of next.q. Only for
    // single plain words: with query syntax, a longer text can match more (`-a` → `-ab`).
    if (next.q === undefined || !next.q.toLowerCase().includes(previous.q.toLowerCase())) return false;
    if (next.q !== previous.q && !(isPlainQuery(next.q) && isPlainQuery(previous.q))) return false;
  }
  // Another time range needs other lines.
  return next.since === previous.since && next.until === previous.until;
}

/** Same server filter? (Both come from `serverFilterOf`, so sources are sorted.) */
export function sameServerFilter(a: ServerFilter, b: ServerFilter): boolean {
  return (
    a.level === b.level &&
    a.q === b.q &&
    a.since === b.since &&
    a.until === b.until &&
    (a.source ?? []).join('\n') === (b.source ?? []).join('\n')
  );
}

/** A compiled local filter, or the reason the pattern is not valid. */
export interface CompiledFilter {
  match: (entry: LogEntry) => boolean;
  /** The text pattern, for highlighting matches; undefined when there is no text or it is inverted. */
  pattern: RegExp | undefined;
  error: string | undefined;
}

/** Text of an entry that searches look at: the message, then the fields as JSON. */
export function searchableText(entry: Pick<LogEntry, 'msg' | 'fields'>): string {
  return entry.fields === undefined ? entry.msg : `${entry.msg}\n${JSON.stringify(entry.fields)}`;
}

/** Escapes `text` for use inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Builds the predicate the console runs on loaded lines. An invalid regex matches no line and reports
 * why: showing every line would look like a filter that works.
 */
export function compileFilter(state: FilterState): CompiledFilter {
  const minLevel = state.level === undefined ? 0 : levelNumber(state.level);
  const sources = state.sources.length > 0 ? new Set(state.sources) : undefined;
  let pattern: RegExp | undefined;
  let error: string | undefined;
  if (state.text.trim() !== '' && !state.regex && !state.invert) {
    // The query language, as the server runs it; its words are colored.
    const query = compileQuery(state.text);
    const words = query.terms.map(escapeRegExp).join('|');
    const terms = words === '' ? undefined : new RegExp(words, 'iu');
    if (query.error !== undefined) return { match: () => false, pattern: undefined, error: query.error };
    const local = query.match;
    const match = (entry: LogEntry): boolean =>
      levelNumber(entry.level) >= minLevel && (sources === undefined || sources.has(entry.source)) && local(entry);
    return { match, pattern: terms, error: undefined };
  }
  if (state.text !== '') {
    try {
      pattern = compileUserRegExp(state.regex ? state.text : escapeRegExp(state.text), 'i');
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
    }
  }
  const invert = state.invert;
  if (error !== undefined) return { match: () => false, pattern: undefined, error };
  const match = (entry: LogEntry): boolean => {
    if (levelNumber(entry.level) < minLevel) return false;
    if (sources !== undefined && !sources.has(entry.source)) return false;
    if (pattern === undefined) return true;
    return pattern.test(searchableText(entry)) !== invert;
  };
  return { match, pattern: invert ? undefined : pattern, error };
}
