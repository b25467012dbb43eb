import { type EntryPart, type LevelName, parseTime } from '@livelog/protocol';
import type { NewEntry } from '../entry/new-entry.js';
import { LivelogError } from '../errors.js';
import { DEFAULT_INGEST_LIMITS, MAX_SOURCE_LENGTH } from './ingest-limits.js';
import { parseLevelValue } from './level-names.js';

/** Values a record takes when it does not state them. */
export interface EntryDefaults {
  source: string;
  level: LevelName;
  /** Receive time in ms. */
  now: number;
}

const RESERVED_KEYS = new Set(['msg', 'message', 'level', 'time', 'source']);
/**
 * Characters a source name may not hold: controls (C0, DEL and C1, whose CSI U+009B drives terminals
 * like ESC [ does), format characters (bidi overrides and isolates such as U+202E reorder what a name
 * shows, zero-width ones hide in it), the line and paragraph separators U+2028/U+2029 (line breaks to
 * JavaScript and many viewers), and unpaired surrogates, which UTF-8 cannot carry: SQLite would store
 * U+FFFD in the source list while the entry's JSON keeps the escape, and the two would disagree.
 */
const SOURCE_FORBIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
const SOURCE_FORBIDDEN_ALL = new RegExp(SOURCE_FORBIDDEN.source, 'gu');

/** Source names seen valid recently: a stream has few sources, and each line names one. */
const knownSources = new Set<string>();

/**
 * The source name `value` stands for, trimmed; throws LIVELOG_ERR_INGEST_BAD_SOURCE unless it is a
 * usable one. Trimmed because a reader's `source=a, b` is trimmed (splitSourceList): a source stored
 * as ` a ` could be listed but never selected, and would show as a twin of `a`.
 */
export function checkSource(value: unknown, line?: number): string {
  if (typeof value === 'string' && knownSources.has(value)) return value.trim();
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > MAX_SOURCE_LENGTH || SOURCE_FORBIDDEN.test(value)) {
    throw new LivelogError(
      'LIVELOG_ERR_INGEST_BAD_SOURCE',
      `source must be a string of 1 to ${MAX_SOURCE_LENGTH} printable characters, not only spaces (no control, format, line-separator or unpaired surrogate characters), got ${describe(value)}`,
      line === undefined ? {} : { line },
    );
  }
  if (knownSources.size >= 1024) knownSources.clear();
  knownSources.add(value);
  return value.trim();
}

/**
 * One JSON record (already parsed, already checked to be an object) as a new entry: `msg` or
 * `message`, `level` (name or pino number), `time` (ms or ISO 8601), `source`; every other key goes
 * to `fields`.
 */
export function normalizeRecord(
  record: Record<string, unknown>,
  defaults: EntryDefaults,
  line: number,
  maxFutureSkewMs: number = DEFAULT_INGEST_LIMITS.maxFutureSkewMs,
): NewEntry {
  const rawMsg = record.msg !== undefined ? record.msg : record.message;
  const level = record.level === undefined || record.level === null ? defaults.level : parseLevelValue(record.level);
  if (level === undefined) {
    throw new LivelogError(
      'LIVELOG_ERR_INGEST_BAD_LEVEL',
      `level must be trace, debug, info, warn, error, fatal (or a common alias) or a pino number, got ${describe(record.level)}`,
      { line },
    );
  }
  let time = record.time === undefined || record.time === null ? defaults.now : parseTime(record.time);
  if (time === undefined) {
    throw new LivelogError(
      'LIVELOG_ERR_INGEST_BAD_TIME',
      `time must be epoch milliseconds or an ISO 8601 date, got ${describe(record.time)}`,
      { line },
    );
  }
  const source = record.source === undefined || record.source === null ? defaults.source : checkSource(record.source, line);
  // A shipper that split a line or replaced invalid bytes itself says so with the entry's own marks.
  const part = asPart(record.part);
  const invalidUtf8 = record.invalidUtf8 === true;
  // Built in one pass (no [key, value] tuples and Object.fromEntries: ~0.8 µs per record).
  let fields: Record<string, unknown> | undefined;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    if (key === 'part' && part !== undefined) continue;
    if (key === 'invalidUtf8' && invalidUtf8) continue;
    if (!RESERVED_KEYS.has(key) || (key === 'message' && record.msg !== undefined)) {
      fields ??= {};
      setField(fields, key, record[key]);
    }
  }
  if (time - defaults.now > maxFutureSkewMs) {
    fields ??= {};
    setField(fields, 'originalTime', record.time);
    time = defaults.now;
  }
  const entry: NewEntry = { time, level, source, msg: messageText(rawMsg) };
  if (part !== undefined) entry.part = part;
  if (invalidUtf8) entry.invalidUtf8 = true;
  if (fields !== undefined) entry.fields = fields;
  return entry;
}

/** Defines an own data property: a "__proto__" key stays data and cannot reach a prototype. */
function setField(fields: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(fields, key, { value, enumerable: true, writable: true, configurable: true });
  else fields[key] = value;
}

/** `{index, count}` with 1 <= index <= count, and nothing else; anything else stays an ordinary field. */
function asPart(value: unknown): EntryPart | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { index, count, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || !Number.isSafeInteger(index) || !Number.isSafeInteger(count)) return undefined;
  return (index as number) >= 1 && (index as number) <= (count as number) ? { index: index as number, count: count as number } : undefined;
}

function messageText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

function describe(value: unknown): string {
  // Error messages end up in terminals and logs: show refused characters as escapes, not as themselves.
  const text = (JSON.stringify(value) ?? String(value)).replace(
    SOURCE_FORBIDDEN_ALL,
    (char) => `\\u${(char.codePointAt(0) as number).toString(16).padStart(4, '0')}`,
  );
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
