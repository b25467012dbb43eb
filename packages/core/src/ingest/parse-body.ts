import { isUtf8 } from 'node:buffer';
import type { LevelName } from '@livelog/protocol';
import type { NewEntry } from '../entry/new-entry.js';
import { LivelogError } from '../errors.js';
import { DEFAULT_INGEST_LIMITS, type IngestLimits } from './ingest-limits.js';
import { leadingTimestamp } from './leading-timestamp.js';
import { LineGrouper } from './line-grouper.js';
import { type EntryDefaults, normalizeRecord } from './normalize-record.js';
import { recognizeLevel } from './recognize-level.js';
import { scanJson } from './scan-json.js';
import { splitMessage } from './split-message.js';
import { withoutUtf8Bom } from './utf8-bom.js';

/** Body formats livelog ingests. */
export type BodyFormat = 'ndjson' | 'json' | 'text';

/** What a body parse needs besides the bytes. */
export interface ParseBodyOptions {
  format: BodyFormat;
  defaults: EntryDefaults;
  /** True when the caller named the level (`?level=`), so text lines do not guess one. */
  levelGiven?: boolean;
  limits?: Partial<IngestLimits>;
  /**
   * Text bodies: a stack trace and the lines that continue it become one entry (LineGrouper, at most
   * 1,000 lines and the message limit). False keeps one entry per line. Defaults to true.
   */
  multiline?: boolean;
  /**
   * Text bodies: a line that starts with a timestamp (leadingTimestamp) gets that time, and its
   * receive time goes to `fields.receivedAt`; `received` gives every line the receive time.
   * Defaults to `line`.
   */
  time?: 'line' | 'received';
}

const CONTENT_TYPES: Record<string, BodyFormat> = {
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/x-jsonlines': 'ndjson',
  'application/json': 'json',
  'text/plain': 'text',
};

/** The body format of a Content-Type header value, or undefined for a type livelog does not ingest. */
export function bodyFormatOf(contentType: string | undefined): BodyFormat | undefined {
  if (contentType === undefined) return undefined;
  const mediaType = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return CONTENT_TYPES[mediaType];
}

/**
 * Parses a whole ingest body into entries, or throws a LivelogError naming the first bad line.
 * All or nothing: a batch with one bad line yields no entries at all.
 *
 * - `ndjson`: one JSON object per line; blank lines are skipped; CRLF is accepted.
 * - `json`: one object, or an array of objects (`line` in errors is the element's 1-based index).
 * - `text`: one entry per line, byte-exact (a bare CR stays; one CR before LF is the line end), except
 *   that a stack trace and the lines continuing it become one entry, joined with `\n` (LineGrouper;
 *   `multiline: false` turns it off). A line that is a JSON object is read as a record (pino output
 *   piped in); other lines get the default source and the level they state (`[ERROR]`, `level=warn`,
 *   `WARN:`, ...), else the default level, and the time they start with (leadingTimestamp), else the
 *   receive time.
 *
 * Invalid UTF-8 is replaced with U+FFFD and the entry marked `invalidUtf8`, never rejected. A UTF-8
 * byte order mark at the start of the body is dropped, whatever the format.
 */
export function parseBody(sent: Buffer, options: ParseBodyOptions): NewEntry[] {
  const limits = { ...DEFAULT_INGEST_LIMITS, ...options.limits };
  // A byte order mark is no part of the first line: without this it refused a JSON body (RFC 8259
  // lets a parser ignore it) and stayed in front of a text line, hiding its level, time or record.
  const body = withoutUtf8Bom(sent);
  if (body.length === 0 || isBlank(body)) throw new LivelogError('LIVELOG_ERR_INGEST_EMPTY', 'the body holds no entry');
  const entries: NewEntry[] = [];
  const push = (entry: NewEntry): void => {
    for (const part of splitMessage(entry, limits.maxMessageBytes)) {
      entries.push(part);
      if (entries.length > limits.maxEntries) throw tooManyEntries(limits);
    }
  };
  if (options.format === 'json') {
    parseJsonBody(body, options.defaults, limits, push);
  } else if (options.format === 'text' && options.multiline !== false) {
    // The whole body is there: a trace cannot continue past its end, so the last group is complete.
    const grouper = new LineGrouper(
      (msg, level, invalidUtf8, line) => push(mark(textEntry(msg, options, limits, line, level), invalidUtf8)),
      {
        defaultLevel: options.defaults.level,
        ...(options.levelGiven ? { forceLevel: options.defaults.level } : {}),
        maxBytes: limits.maxMessageBytes,
      },
    );
    forEachLine(body, true, limits, (text, invalidUtf8, line) => grouper.push(text, invalidUtf8, line));
    grouper.flush();
  } else {
    forEachLine(body, options.format === 'text', limits, (text, invalidUtf8, line) => {
      if (options.format === 'ndjson') {
        if (text.trim() === '') return;
        if (scanJson(text, limits.maxDepth) !== -1) throw tooDeep(line, limits);
        push(mark(recordEntry(parseJsonLine(text, line), options.defaults, limits, line), invalidUtf8));
      } else {
        push(mark(textEntry(text, options, limits, line), invalidUtf8));
      }
    });
  }
  if (entries.length === 0) throw new LivelogError('LIVELOG_ERR_INGEST_EMPTY', 'the body holds no entry');
  return entries;
}

/**
 * A JSON body: one record, or an array of records. Each record is held to the limits of a line
 * (length, depth) and the array to the batch limit, all checked in one walk before anything is parsed.
 */
function parseJsonBody(body: Buffer, defaults: EntryDefaults, limits: IngestLimits, push: (entry: NewEntry) => void): void {
  const valid = isUtf8(body);
  const text = body.toString('utf8');
  const array = firstNonSpace(text) === '[';
  let records = 0;
  const tooDeepAt = scanJson(
    text,
    array ? limits.maxDepth + 1 : limits.maxDepth,
    array
      ? (start, end) => {
          records++;
          if (records > limits.maxEntries) throw tooManyEntries(limits);
          checkLineLength(text, start, end, records, limits);
        }
      : undefined,
  );
  if (tooDeepAt !== -1) throw tooDeep(array ? records + 1 : 1, limits);
  if (!array) checkLineLength(text, 0, text.length, 1, limits);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw malformed(error, 1);
  }
  (Array.isArray(value) ? value : [value]).forEach((record, index) => {
    push(mark(recordEntry(record, defaults, limits, index + 1), !valid));
  });
}

/** A text line (or a group of them) as an entry; `level` is the grouper's, undefined when not known yet. */
function textEntry(text: string, options: ParseBodyOptions, limits: IngestLimits, line: number, level?: LevelName): NewEntry {
  // A line too deep to be a record stays what it also is: a line of text.
  if (level === undefined && text.startsWith('{') && scanJson(text, limits.maxDepth) === -1) {
    const record = tryParseObject(text);
    if (record !== undefined) return recordEntry(record, options.defaults, limits, line);
  }
  const { now, source } = options.defaults;
  const entry: NewEntry = {
    time: now,
    level: level ?? (options.levelGiven ? options.defaults.level : (recognizeLevel(text) ?? options.defaults.level)),
    source,
    msg: text,
  };
  const stated = options.time === 'received' ? undefined : leadingTimestamp(text, now);
  if (stated !== undefined) {
    entry.time = stated;
    entry.fields = { receivedAt: now };
  }
  return entry;
}

function recordEntry(value: unknown, defaults: EntryDefaults, limits: IngestLimits, line: number): NewEntry {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new LivelogError(
      'LIVELOG_ERR_INGEST_NOT_AN_OBJECT',
      `line ${line}: each record must be a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
      { line },
    );
  }
  return normalizeRecord(value as Record<string, unknown>, defaults, line, limits.maxFutureSkewMs);
}

function tooDeep(line: number, limits: IngestLimits): LivelogError {
  return new LivelogError('LIVELOG_ERR_INGEST_TOO_DEEP', `line ${line}: the record nests deeper than ${limits.maxDepth} levels`, { line });
}

function tooManyEntries(limits: IngestLimits): LivelogError {
  return new LivelogError(
    'LIVELOG_ERR_INGEST_TOO_MANY_ENTRIES',
    `a batch may hold at most ${limits.maxEntries} entries; split it into several requests`,
  );
}

function firstNonSpace(text: string): string | undefined {
  return /\S/.exec(text)?.[0];
}

function parseJsonLine(text: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw malformed(error, line);
  }
}

function tryParseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function malformed(error: unknown, line: number): LivelogError {
  const detail = error instanceof Error ? error.message : String(error);
  return new LivelogError('LIVELOG_ERR_INGEST_MALFORMED_JSON', `line ${line}: not valid JSON (${detail})`, { line, cause: error });
}

function mark(entry: NewEntry, invalidUtf8: boolean): NewEntry {
  if (invalidUtf8) entry.invalidUtf8 = true;
  return entry;
}

/**
 * Calls `each` with every line of `body` decoded, whether it held invalid UTF-8, and its 1-based
 * number. Splitting on the byte 0x0A is safe: it never occurs inside a multi-byte UTF-8 sequence.
 */
function forEachLine(
  body: Buffer,
  keepBlank: boolean,
  limits: IngestLimits,
  each: (text: string, invalidUtf8: boolean, line: number) => void,
): void {
  // Lines are decoded one by one, never the body as one string: a string of a whole 1,000-line
  // body lands in V8's large-object space, and decoding it cost 3-7× more than decoding its lines.
  const valid = isUtf8(body);
  let start = 0;
  let line = 0;
  while (start < body.length) {
    let end = body.indexOf(0x0a, start);
    const last = end === -1;
    if (last) end = body.length;
    line++;
    let stop = end;
    if (stop > start && body[stop - 1] === 0x0d && !last) stop--;
    if (stop - start > limits.maxLineBytes) throw lineTooLong(line, stop - start, limits);
    if (keepBlank || stop > start) {
      const text = body.toString('utf8', start, stop);
      each(text, !valid && !isUtf8(body.subarray(start, stop)), line);
    }
    start = end + 1;
  }
}

/** Throws LIVELOG_ERR_INGEST_LINE_TOO_LONG when text[start, stop) is longer than the line limit in UTF-8. */
function checkLineLength(text: string, start: number, stop: number, line: number, limits: IngestLimits): void {
  const units = stop - start;
  // A UTF-16 unit is 1 to 3 UTF-8 bytes: count bytes only when the length alone cannot decide.
  if (units <= limits.maxLineBytes / 3) return;
  const bytes = units > limits.maxLineBytes ? units : Buffer.byteLength(text.slice(start, stop));
  if (bytes > limits.maxLineBytes) throw lineTooLong(line, bytes, limits);
}

function lineTooLong(line: number, bytes: number, limits: IngestLimits): LivelogError {
  return new LivelogError('LIVELOG_ERR_INGEST_LINE_TOO_LONG', `line ${line} is ${bytes} bytes; the limit is ${limits.maxLineBytes}`, {
    line,
  });
}

function isBlank(body: Buffer): boolean {
  for (const byte of body) {
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  }
  return true;
}
