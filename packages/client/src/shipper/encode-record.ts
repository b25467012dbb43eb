import type { LogRecord } from './log-record.js';

/** Limits a record must fit before it is sent. */
export interface RecordLimits {
  maxMessageBytes: number;
  maxLineBytes: number;
}

/** A record that cannot be sent even after splitting its message (its other keys alone are too long). */
export class RecordTooLongError extends Error {
  override readonly name = 'RecordTooLongError';
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`a record encodes to ${bytes} bytes; the server takes at most ${limit} per line`);
  }
}

/**
 * The NDJSON line(s) of one record. A record whose line fits the server's line limit is sent whole
 * (the server itself splits a message longer than its message limit into parts). A longer one
 * cannot be sent whole: its message is split on character boundaries into records of at most
 * `maxMessageBytes`, marked `part: {index, count}`, the other keys staying on the first part only.
 * Throws RecordTooLongError when a line would still exceed `maxLineBytes` (its other keys are too long).
 */
export function encodeRecord(record: LogRecord, limits: RecordLimits): string[] {
  const line = stringify(record);
  if (line.length * 3 <= limits.maxLineBytes || utf8Length(line) <= limits.maxLineBytes) return [line];
  const key = record.msg !== undefined ? 'msg' : 'message';
  const text = record[key];
  if (typeof text !== 'string' || utf8Length(text) <= limits.maxMessageBytes)
    throw new RecordTooLongError(utf8Length(line), limits.maxLineBytes);
  const chunks = splitUtf8(text, limits.maxMessageBytes);
  return chunks.map((chunk, i) => {
    const part: LogRecord =
      i === 0
        ? { ...record, [key]: chunk, part: { index: 1, count: chunks.length } }
        : partOf(record, key, chunk, { index: i + 1, count: chunks.length });
    return checked(stringify(part), limits.maxLineBytes);
  });
}

function partOf(record: LogRecord, key: string, chunk: string, part: { index: number; count: number }): LogRecord {
  const next: LogRecord = { [key]: chunk, part };
  if (record.level !== undefined) next.level = record.level;
  if (record.time !== undefined) next.time = record.time;
  if (record.source !== undefined) next.source = record.source;
  return next;
}

function checked(line: string, maxLineBytes: number): string {
  if (line.length * 3 > maxLineBytes) {
    const bytes = utf8Length(line);
    if (bytes > maxLineBytes) throw new RecordTooLongError(bytes, maxLineBytes);
  }
  return line;
}

/** JSON of a record; circular references and BigInts, which JSON.stringify refuses, become strings. */
function stringify(record: LogRecord): string {
  try {
    return JSON.stringify(record);
  } catch {
    const seen = new WeakSet<object>();
    return JSON.stringify(record, (_key, value: unknown) => {
      if (typeof value === 'bigint') return value.toString();
      if (value !== null && typeof value === 'object') {
        if (seen.has(value)) return '[Circular]';
        seen.add(value);
      }
      return value;
    });
  }
}

/** UTF-8 length of a string, without TextEncoder's allocation; a lone surrogate counts as U+FFFD (3 bytes). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && isLow(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** `text` cut into pieces of at most `maxBytes` UTF-8 bytes, never inside a character. */
export function splitUtf8(text: string, maxBytes: number): string[] {
  const chunks: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const pair = code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && isLow(text.charCodeAt(i + 1));
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + size > maxBytes) {
      chunks.push(text.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
    if (pair) i++;
  }
  chunks.push(text.slice(start));
  return chunks;
}

function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
