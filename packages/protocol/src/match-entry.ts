import type { LogEntry } from './entry.js';
import { LEVELS } from './levels.js';
import type { QueryComparison, QueryNode } from './query-ast.js';

/** The parts of an entry a query reads. */
export type SearchableEntry = Pick<LogEntry, 'msg' | 'source' | 'level' | 'fields'>;

const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * The searchable text of an entry, lower-cased, one string per part: `msg`, `source`, `level`, then
 * every leaf value of `fields` (strings as they are, numbers, booleans and null in their JSON form;
 * keys are not searchable). A bare word matches when one part holds it, never across two parts.
 * Not cached: a WeakMap per entry held the parts of every entry a catch-up scan parsed until GC
 * (+50 MB RSS in bounded-reads.test).
 */
export function searchableParts(entry: SearchableEntry): readonly string[] {
  const out = [entry.msg.toLowerCase(), entry.source.toLowerCase(), entry.level];
  if (entry.fields !== undefined) collectLeaves(entry.fields, out);
  return out;
}

function collectLeaves(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value.toLowerCase());
  else if (value === null || typeof value !== 'object') out.push(String(value).toLowerCase());
  else if (Array.isArray(value)) for (const item of value) collectLeaves(item, out);
  else for (const key of Object.keys(value)) collectLeaves((value as Record<string, unknown>)[key], out);
}

/**
 * True when `entry` matches `node`. The one definition of the query language's meaning: the live
 * path runs it on every entry, and the stores that narrow with an index confirm every candidate
 * with it, so all executors agree.
 *
 * Cost: an entry's searchable text is gathered (and lower-cased) at most once per call, whatever
 * the number of terms. Gathering it once per term let a 4 KiB query of 400 words over one entry of
 * 90,000 fields hold the event loop for half a minute; now each term is one search of that text.
 * @see ../../../docs/reference/query-language.md
 */
export function matchEntry(node: QueryNode, entry: SearchableEntry): boolean {
  return matchNode(node, { entry });
}

/** What one `matchEntry` call has gathered of its entry so far; each part is made on first use. */
interface EntryText {
  readonly entry: SearchableEntry;
  parts?: readonly string[];
  /** The parts joined by NUL: a needle without NUL found here lies inside one part. */
  joined?: string;
  msg?: string;
  source?: string;
}

const SEPARATOR = '\u0000';

function matchNode(node: QueryNode, text: EntryText): boolean {
  switch (node.type) {
    case 'all':
      return true;
    case 'and':
      return node.children.every((child) => matchNode(child, text));
    case 'or':
      return node.children.some((child) => matchNode(child, text));
    case 'not':
      return !matchNode(node.child, text);
    case 'text': {
      const needle = node.value.toLowerCase();
      text.parts ??= searchableParts(text.entry);
      // A needle holding the separator could match across two parts: search those part by part.
      if (needle.includes(SEPARATOR)) return text.parts.some((part) => part.includes(needle));
      text.joined ??= text.parts.join(SEPARATOR);
      return text.joined.includes(needle);
    }
    case 'property': {
      if (node.name === 'msg') {
        text.msg ??= text.entry.msg.toLowerCase();
        return text.msg.includes(node.value.toLowerCase());
      }
      text.source ??= text.entry.source.toLowerCase();
      return text.source.includes(node.value.toLowerCase());
    }
    case 'level':
      return compare(LEVELS[text.entry.level], node.op, LEVELS[node.level]);
    case 'field': {
      const fields = text.entry.fields;
      if (fields === undefined) return false;
      const keys = pathKeys(node.path);
      return resolvePath(fields, keys, 0).some((value) => matchValue(value, node.op, node.value));
    }
  }
}

/**
 * Per path, `keys[from][to - from - 1]` is `path.slice(from, to).join('.')`: the key that takes a
 * lookup from segment `from` to `to` (a literal dotted key such as `"user.id"` spans several).
 * Built once per parsed query node rather than once per entry; `parseQuery` bounds a path to
 * `MAX_FIELD_PATH_SEGMENTS`, so the table stays small.
 */
const KEYS = new WeakMap<readonly string[], readonly (readonly string[])[]>();

function pathKeys(path: readonly string[]): readonly (readonly string[])[] {
  let keys = KEYS.get(path);
  if (keys === undefined) {
    keys = path.map((_, from) => path.slice(from).map((__, span) => path.slice(from, from + span + 1).join('.')));
    KEYS.set(path, keys);
  }
  return keys;
}

/** Every value at the path from segment `from` in `value`: through nested objects, literal dotted keys (`"user.id"`) and each array element. */
function resolvePath(value: unknown, keys: readonly (readonly string[])[], from: number): unknown[] {
  if (from === keys.length) return [value];
  if (Array.isArray(value)) return value.flatMap((item) => resolvePath(item, keys, from));
  if (value === null || typeof value !== 'object') return [];
  const found: unknown[] = [];
  const spans = keys[from] as readonly string[];
  for (let span = 0; span < spans.length; span++) {
    const key = spans[span] as string;
    if (Object.hasOwn(value, key)) found.push(...resolvePath((value as Record<string, unknown>)[key], keys, from + span + 1));
  }
  return found;
}

function matchValue(value: unknown, op: QueryComparison, query: string): boolean {
  if (typeof value === 'number') return NUMBER.test(query) && compare(value, op, Number(query));
  if (op !== '=') return Array.isArray(value) ? value.some((item) => matchValue(item, op, query)) : false;
  if (typeof value === 'string') return value.toLowerCase().includes(query.toLowerCase());
  if (typeof value === 'boolean' || value === null) return String(value) === query.toLowerCase();
  if (Array.isArray(value)) return value.some((item) => matchValue(item, op, query));
  if (typeof value === 'object') return Object.values(value).some((item) => matchValue(item, op, query));
  return false;
}

function compare(a: number, op: QueryComparison, b: number): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
  }
}

/**
 * The substrings a query looks for in matching entries (positive words, phrases and `msg:`/field
 * values, not those under a negation), lower-cased: what a viewer highlights.
 */
export function queryTerms(node: QueryNode): string[] {
  switch (node.type) {
    case 'and':
    case 'or':
      return node.children.flatMap(queryTerms);
    case 'text':
    case 'property':
    case 'field':
      return node.type === 'field' && node.op !== '=' ? [] : [node.value.toLowerCase()];
    default:
      return [];
  }
}
