import type { LogRecord } from '@livelog/client';
import { checkSource, leadingTimestamp, parseLevelValue, recognizeLevel } from '@livelog/core/ingest';
import { type LevelName, parseTime } from '@livelog/protocol';

/** How the lines of one stream become records. */
export interface LineDefaults {
  /** Level of a line that states none; ignored when `forceLevel` is set. */
  level: LevelName;
  /** Every line gets this level, nothing is recognised (`--level`). */
  forceLevel?: LevelName;
  /** Extra fields on every record (e.g. `{ stream: 'stderr' }`). */
  fields?: Record<string, unknown>;
  /**
   * `line` (the default): a line that starts with a timestamp gets that time, and the time it was
   * read goes to `receivedAt`; `received`: every line gets the time it was read.
   */
  time?: 'line' | 'received';
}

/**
 * One captured line (or a group of lines joined with `\n`) as the NDJSON line of its record, the way
 * the server reads a text line: a line that is a JSON object with a usable level, time and source
 * (pino output, for one) is taken as that record; any other text is the message, byte-exact, with
 * `level` when the caller knows it (the grouper's), else the level it states (`[ERROR]`,
 * `level=warn`, `WARN:`, …) or the default. Its time is the timestamp it starts with, else `time`,
 * when the line was read, so lines held back by an outage keep their time. Invalid UTF-8 is replaced
 * with U+FFFD and the record marked `invalidUtf8`.
 *
 * Text lines, nearly all of them, are encoded by hand: JSON.stringify of the message string alone
 * costs a fraction of stringifying an object, and this runs once per line at hundreds of thousands
 * of lines per second.
 */
export function encodeLine(text: string, invalidUtf8: boolean, time: number, defaults: LineDefaults, level?: LevelName): string {
  if (level === undefined && text.charCodeAt(0) === 0x7b && defaults.forceLevel === undefined) {
    const record = jsonRecord(text);
    if (record !== undefined) {
      if (record.level === undefined || record.level === null) record.level = defaults.level;
      if (record.time === undefined || record.time === null) record.time = time;
      return JSON.stringify(defaults.fields === undefined ? record : { ...defaults.fields, ...record });
    }
  }
  const lineLevel = level ?? defaults.forceLevel ?? recognizeLevel(text) ?? defaults.level;
  const invalid = invalidUtf8 ? ',"invalidUtf8":true' : '';
  const stated = defaults.time === 'received' ? undefined : leadingTimestamp(text, time);
  if (stated === undefined)
    return `{"msg":${JSON.stringify(text)},"level":"${lineLevel}","time":${time}${fieldsSuffix(defaults)}${invalid}}`;
  return `{"msg":${JSON.stringify(text)},"level":"${lineLevel}","time":${stated}${fieldsSuffix(defaults)},"receivedAt":${time}${invalid}}`;
}

const SUFFIXES = new WeakMap<LineDefaults, string>();

/** `,"key":value…` of the default fields, encoded once per stream. */
function fieldsSuffix(defaults: LineDefaults): string {
  if (defaults.fields === undefined) return '';
  let suffix = SUFFIXES.get(defaults);
  if (suffix === undefined) {
    suffix = JSON.stringify(defaults.fields).slice(1, -1);
    suffix = suffix === '' ? '' : `,${suffix}`;
    SUFFIXES.set(defaults, suffix);
  }
  return suffix;
}

function jsonRecord(text: string): LogRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as LogRecord;
  // A record the server would refuse is kept as plain text instead: the line must not be lost.
  if (record.level !== undefined && record.level !== null && parseLevelValue(record.level) === undefined) return undefined;
  if (record.time !== undefined && record.time !== null && parseTime(record.time) === undefined) return undefined;
  if (record.source !== undefined && record.source !== null) {
    try {
      checkSource(record.source);
    } catch {
      return undefined;
    }
  }
  return record;
}
