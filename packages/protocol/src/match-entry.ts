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
 * @see ../../../docs/reference/query-language.md
 */
export function matchEntry(node: QueryNode, entry: SearchableEntry): boolean {
  switch (node.type) {
    case 'all':
      return true;
    case 'and':
      return node.children.every((child) => matchEntry(child, entry));
    case 'or':
      return node.children.some((child) => matchEntry(child, entry));
    case 'not':
      return !matchEntry(node.child, entry);
    case 'text': {
      const needle = node.value.toLowerCase();
      return searchableParts(entry).some((part) => part.includes(needle));
    }
    case 'property':
      return (searchableParts(entry)[node.name === 'msg' ? 0 : 1] as string).includes(node.value.toLowerCase());
    case 'level':
      return compare(LEVELS[entry.level], node.op, LEVELS[node.level]);
    case 'field':
      return entry.fields !== undefined && resolvePath(entry.fields, node.path, 0).some((value) => matchValue(value, node.op, node.value));
  }
}

/** Every value at `path` in `value`: through nested objects, literal dotted keys (`"user.id"`) and each array element. */
function resolvePath(value: unknown, path: readonly string[], from: number): unknown[] {
  if (from === path.length) return [value];
  if (Array.isArray(value)) return value.flatMap((item) => resolvePath(item, path, from));
  if (value === null || typeof value !== 'object') return [];
  const found: unknown[] = [];
  for (let to = from + 1; to <= path.length; to++) {
    const key = path.slice(from, to).join('.');
    if (Object.hasOwn(value, key)) found.push(...resolvePath((value as Record<string, unknown>)[key], path, to));
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
