import { type LogEntry, matchEntry, parseQuery, QuerySyntaxError, queryTerms } from '@livelog/protocol';

/**
 * The search box's text as a query of livelog's query language (bare words, "phrases", AND/OR/-term,
 * field:value), parsed and matched by @livelog/protocol's one implementation: the server runs the
 * same on history and on the stream, so loaded lines filtered here agree with what it sends.
 */
export interface CompiledQuery {
  match: (entry: LogEntry) => boolean;
  /** Why the query is invalid, naming the position; undefined when it is valid. */
  error: string | undefined;
  /** Where the fault is (0-based), for the caret under the search box. */
  position: number | undefined;
  /** The words and phrases to color in matching lines. */
  terms: string[];
}

/** A query that is one plain word: anything containing a longer plain word contains it too. */
export function isPlainQuery(text: string): boolean {
  const trimmed = text.trim();
  return trimmed !== '' && /^[^\s"():\\-][^\s"():\\]*$/.test(trimmed) && !/^(AND|OR|NOT)$/.test(trimmed);
}

/** Compiles `text`; an invalid query matches no line and says why (showing every line would look like a working filter). */
export function compileQuery(text: string): CompiledQuery {
  try {
    const node = parseQuery(text);
    return { match: (entry) => matchEntry(node, entry), error: undefined, position: undefined, terms: queryTerms(node) };
  } catch (error) {
    if (!(error instanceof QuerySyntaxError)) throw error;
    return { match: () => false, error: error.message, position: error.position, terms: [] };
  }
}
