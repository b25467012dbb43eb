import { isLevelName, type LevelName } from './levels.js';
import type { QueryComparison, QueryNode } from './query-ast.js';

/** The longest query `parseQuery` reads, in UTF-8 bytes. */
export const MAX_QUERY_BYTES = 4096;
/** The deepest nesting of parentheses and negations `parseQuery` reads. */
export const MAX_QUERY_DEPTH = 32;
/**
 * The most dot-separated parts of a `field:` name `parseQuery` reads (`fields.` not counted). Matching
 * tries every run of parts as a literal dotted key, so its cost grows with the square of this; a
 * query of two 1,000-part names held the event loop for minutes over 20,000 entries.
 */
export const MAX_FIELD_PATH_SEGMENTS = 32;

/** A query `parseQuery` cannot read. `position` is the 0-based UTF-16 offset of the fault in the text. */
export class QuerySyntaxError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(`${message} (at position ${position})`);
    this.name = 'QuerySyntaxError';
    this.position = position;
  }
}

type Token =
  | { kind: '(' | ')' | '-' | 'AND' | 'OR' | 'NOT' | 'end'; at: number }
  | { kind: 'word' | 'phrase'; at: number; value: string }
  | { kind: 'field'; at: number; name: string; op: QueryComparison; value: string; quoted: boolean };

const FIELD_PREFIX = /^([A-Za-z_@$][A-Za-z0-9_@$-]*(?:\.[A-Za-z0-9_@$-]+)*):/;
const OPS: readonly QueryComparison[] = ['>=', '<=', '>', '<', '='];
const BREAK = /[\s()"]/;

/** `value` as a quoted phrase of the query language: matches it as one literal substring. */
export function quoteQueryTerm(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/**
 * Reads a search query into a `QueryNode`. Hand-written recursive descent (no kept npm parser fits
 * a grammar this small and browser-safe without pulling in a generator runtime).
 *
 * Grammar, loosest first: `a OR b`; `a AND b` or just `a b`; `NOT a` or `-a`; `(…)`, `"phrase"`,
 * `field:value`, `field:"a b"`, `field:>=value`, `word`. Operators are upper case only; `and`/`or`
 * are words. An empty or blank query is `{type:'all'}`.
 * @throws QuerySyntaxError with the position of the fault.
 * @see ../../../docs/reference/query-language.md
 */
export function parseQuery(text: string): QueryNode {
  const overAt = utf8Overflow(text, MAX_QUERY_BYTES);
  if (overAt !== undefined) throw new QuerySyntaxError(`the query is longer than ${MAX_QUERY_BYTES} bytes`, overAt);
  const tokens = tokenize(text);
  let index = 0;
  const peek = (): Token => tokens[index] as Token;
  const next = (): Token => tokens[index++] as Token;
  // A query cut short (typed halfway, or truncated on its way) is told so: what is missing, after what.
  const needsTermAfter = (operator: Token): QuerySyntaxError =>
    new QuerySyntaxError(`${operator.kind} needs a term after it${peek().kind === 'end' ? ', but the query ends there' : ''}`, operator.at);

  const parseOr = (depth: number): QueryNode => {
    const children = [parseAnd(depth)];
    while (peek().kind === 'OR') {
      const or = next();
      if (!startsTerm(peek())) throw needsTermAfter(or);
      children.push(parseAnd(depth));
    }
    return children.length === 1 ? (children[0] as QueryNode) : { type: 'or', children };
  };

  const parseAnd = (depth: number): QueryNode => {
    const first = peek();
    if (first.kind === 'OR' || first.kind === 'AND') throw new QuerySyntaxError(`${first.kind} needs a term before it`, first.at);
    const children = [parseUnary(depth)];
    for (;;) {
      const token = peek();
      if (token.kind === 'AND') {
        next();
        if (!startsTerm(peek())) throw needsTermAfter(token);
        continue;
      }
      if (!startsTerm(token)) break;
      children.push(parseUnary(depth));
    }
    return children.length === 1 ? (children[0] as QueryNode) : { type: 'and', children };
  };

  const parseUnary = (depth: number): QueryNode => {
    const token = next();
    if (depth > MAX_QUERY_DEPTH) throw new QuerySyntaxError(`the query nests deeper than ${MAX_QUERY_DEPTH}`, token.at);
    switch (token.kind) {
      case 'NOT':
      case '-':
        if (!startsTerm(peek())) throw needsTermAfter(token);
        return { type: 'not', child: parseUnary(depth + 1) };
      case '(': {
        if (peek().kind === ')') throw new QuerySyntaxError('empty parentheses', token.at);
        if (peek().kind === 'end') throw new QuerySyntaxError('unbalanced "(": the query ends before a term and its ")"', token.at);
        const inner = parseOr(depth + 1);
        const close = next();
        if (close.kind !== ')') throw new QuerySyntaxError('unbalanced "(": no ")" closes it', token.at);
        return inner;
      }
      case 'word':
        return { type: 'text', value: token.value, quoted: false };
      case 'phrase':
        return { type: 'text', value: token.value, quoted: true };
      case 'field':
        return fieldNode(token);
      case ')':
        throw new QuerySyntaxError('unbalanced ")": no "(" opens it', token.at);
      default:
        throw new QuerySyntaxError(`unexpected ${token.kind === 'end' ? 'end of query' : token.kind}`, token.at);
    }
  };

  if (peek().kind === 'end') return { type: 'all' };
  const root = parseOr(0);
  const rest = peek();
  if (rest.kind === ')') throw new QuerySyntaxError('unbalanced ")": no "(" opens it', rest.at);
  if (rest.kind !== 'end') throw new QuerySyntaxError(`unexpected ${rest.kind}`, rest.at);
  return root;
}

/**
 * The UTF-16 offset of the first character that takes `text` past `limit` UTF-8 bytes, or undefined
 * when it fits. An offset, not the byte count: `position` is a place in the text (a query of 2,049
 * `é` is over the limit at 2,048, not at 4,096, past its end).
 */
function utf8Overflow(text: string, limit: number): number | undefined {
  let bytes = 0;
  let at = 0;
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes > limit) return at;
    at += char.length;
  }
  return undefined;
}

function startsTerm(token: Token): boolean {
  return token.kind !== 'OR' && token.kind !== 'AND' && token.kind !== ')' && token.kind !== 'end';
}

function fieldNode(token: Extract<Token, { kind: 'field' }>): QueryNode {
  const { name, op, value, quoted } = token;
  if (name === 'level') {
    const level = value.toLowerCase();
    if (!isLevelName(level)) throw new QuerySyntaxError(`"${value}" is not a level (trace, debug, info, warn, error, fatal)`, token.at);
    return { type: 'level', op, level: level as LevelName };
  }
  if (name === 'msg' || name === 'source') {
    if (op !== '=') throw new QuerySyntaxError(`${name}: takes no comparison`, token.at);
    return { type: 'property', name, value, quoted };
  }
  const path = (name.startsWith('fields.') ? name.slice('fields.'.length) : name).split('.');
  if (path.length > MAX_FIELD_PATH_SEGMENTS) {
    throw new QuerySyntaxError(`a field name has more than ${MAX_FIELD_PATH_SEGMENTS} dot-separated parts`, token.at);
  }
  return { type: 'field', path, op, value, quoted };
}

/** Splits the text into tokens; the last is always `end`. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ kind: c, at: i++ });
    } else if (c === '"') {
      const [value, end] = readPhrase(text, i);
      tokens.push({ kind: 'phrase', at: i, value });
      i = end;
    } else if (c === '-' && i + 1 < text.length && !/\s/.test(text[i + 1] as string) && text[i + 1] !== ')') {
      tokens.push({ kind: '-', at: i++ });
    } else {
      const field = FIELD_PREFIX.exec(text.slice(i));
      if (field && !text.startsWith('//', i + field[0].length)) {
        const [token, end] = readField(text, i, field[1] as string, i + field[0].length);
        tokens.push(token);
        i = end;
        continue;
      }
      const start = i;
      while (i < text.length && !BREAK.test(text[i] as string)) i++;
      const word = text.slice(start, i);
      if (word === 'AND' || word === 'OR' || word === 'NOT') tokens.push({ kind: word, at: start });
      else tokens.push({ kind: 'word', at: start, value: word });
    }
  }
  tokens.push({ kind: 'end', at: text.length });
  return tokens;
}

function readField(text: string, at: number, name: string, valueAt: number): [Token, number] {
  let i = valueAt;
  let op: QueryComparison = '=';
  for (const candidate of OPS) {
    if (text.startsWith(candidate, i)) {
      op = candidate;
      i += candidate.length;
      break;
    }
  }
  if (text[i] === '"') {
    const [value, end] = readPhrase(text, i);
    if (value === '') throw new QuerySyntaxError(`empty value for ${name}:`, i);
    return [{ kind: 'field', at, name, op, value, quoted: true }, end];
  }
  const start = i;
  while (i < text.length && !BREAK.test(text[i] as string)) i++;
  if (i === start) {
    const ends = text.slice(i).trim() === '';
    throw new QuerySyntaxError(`empty value for ${name}:${ends ? ', the query ends there' : ''}`, start);
  }
  return [{ kind: 'field', at, name, op, value: text.slice(start, i), quoted: false }, i];
}

/** Reads `"…"` from the quote at `at`; `\"` and `\\` are escapes, any other backslash is literal. */
function readPhrase(text: string, at: number): [string, number] {
  let value = '';
  let i = at + 1;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
      value += text[i + 1];
      i += 2;
    } else if (c === '"') {
      if (value === '') throw new QuerySyntaxError('empty phrase', at);
      return [value, i + 1];
    } else {
      value += c;
      i++;
    }
  }
  throw new QuerySyntaxError('unbalanced quote: no closing " before the end of the query', at);
}
