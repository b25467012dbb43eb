import type { LevelName } from './levels.js';

/** A comparison a `field:` term may carry: `level:>=warn`, `http.status:>=500`. `=` is the plain `field:value`. */
export type QueryComparison = '=' | '>' | '>=' | '<' | '<=';

/**
 * The parsed form of a search query, shared by every executor (the live matcher, the SQLite index,
 * the Redis scan). Produced by `parseQuery`, read by `matchEntry`; plain JSON, safe to post between
 * workers. Values are kept as typed; executors fold case themselves.
 * @see ../../../docs/reference/query-language.md
 */
export type QueryNode =
  /** The empty query: every entry. */
  | { type: 'all' }
  /** Every child matches. Two or more children. */
  | { type: 'and'; children: QueryNode[] }
  /** At least one child matches. Two or more children. */
  | { type: 'or'; children: QueryNode[] }
  /** The child does not match. */
  | { type: 'not'; child: QueryNode }
  /** A bare word or "quoted phrase": case-insensitive substring of any searchable part of the entry. */
  | { type: 'text'; value: string; quoted: boolean }
  /** `msg:value` / `source:value`: case-insensitive substring of that one property. */
  | { type: 'property'; name: 'msg' | 'source'; value: string; quoted: boolean }
  /** `level:warn`, `level:>=warn`. */
  | { type: 'level'; op: QueryComparison; level: LevelName }
  /**
   * `user.id:42`, `fields.msg:x`: a JSON field of `fields` by dotted path. Strings match by
   * case-insensitive substring, numbers, booleans and null exactly; comparisons match numbers only.
   */
  | { type: 'field'; path: string[]; op: QueryComparison; value: string; quoted: boolean };
