import type { StreamFilter } from '@livelog/client';
import { isLevelName, type LevelName, type LogEntry, levelNumber } from '@livelog/protocol';

/** What the user asked to see. Text matches the message or the fields' JSON, case-insensitively. */
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
}

export const EMPTY_FILTER: FilterState = { level: undefined, sources: [], text: '', regex: false, invert: false };

/** The filter the `level` and `source` attributes ask for: an unknown level shows every level. */
export function filterFromAttributes(level: string | undefined, source: string | undefined): Pick<FilterState, 'level' | 'sources'> {
  const name = level?.trim().toLowerCase();
  const sources = (source ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return { level: name !== undefined && isLevelName(name) ? name : undefined, sources };
}

/**
 * The server-side part of `state`. A regex or an inverted search cannot run on the server (it knows
 * only case-insensitive substrings), so those lines all come and the local filter decides.
 */
export function serverFilterOf(state: FilterState): ServerFilter {
  const filter: ServerFilter = {};
  if (state.level !== undefined && state.level !== 'trace') filter.level = state.level;
  if (state.sources.length > 0) filter.source = [...state.sources].sort();
  if (state.text !== '' && !state.regex && !state.invert) filter.q = state.text;
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
    // Anything containing next.q also contains previous.q when previous.q is part of next.q.
    if (next.q === undefined || !next.q.toLowerCase().includes(previous.q.toLowerCase())) return false;
  }
  return true;
}

/** Same server filter? (Both come from `serverFilterOf`, so sources are sorted.) */
export function sameServerFilter(a: ServerFilter, b: ServerFilter): boolean {
  return a.level === b.level && a.q === b.q && (a.source ?? []).join('\n') === (b.source ?? []).join('\n');
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

/** Builds the predicate the console runs on loaded lines. An invalid regex matches every line and reports why. */
export function compileFilter(state: FilterState): CompiledFilter {
  const minLevel = state.level === undefined ? 0 : levelNumber(state.level);
  const sources = state.sources.length > 0 ? new Set(state.sources) : undefined;
  let pattern: RegExp | undefined;
  let error: string | undefined;
  if (state.text !== '') {
    try {
      pattern = new RegExp(state.regex ? state.text : escapeRegExp(state.text), 'i');
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
    }
  }
  const invert = state.invert;
  const match = (entry: LogEntry): boolean => {
    if (levelNumber(entry.level) < minLevel) return false;
    if (sources !== undefined && !sources.has(entry.source)) return false;
    if (pattern === undefined) return true;
    return pattern.test(searchableText(entry)) !== invert;
  };
  return { match, pattern: invert ? undefined : pattern, error };
}
