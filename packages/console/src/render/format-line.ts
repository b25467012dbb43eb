import type { LogEntry } from '@livelog/protocol';
import { stripAnsi } from './ansi-segments.js';

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** `HH:MM:SS.mmm` in local time, or in UTC with a trailing `Z`. */
export function formatClock(time: number, utc: boolean): string {
  const date = new Date(time);
  if (utc) {
    return `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}Z`;
  }
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** The full date and time, for tooltips and copies: ISO 8601 in UTC, or local with its offset. */
export function formatFullTime(time: number, utc: boolean): string {
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return String(time);
  if (utc) return date.toISOString();
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** Fields as one compact line: `key=value key2={"a":1}`, strings unquoted when plain. */
export function compactFields(fields: Record<string, unknown> | undefined, maxLength = 300): string {
  if (fields === undefined) return '';
  let out = '';
  for (const [key, value] of Object.entries(fields)) {
    const text = typeof value === 'string' && /^[^\s"=]*$/.test(value) && value !== '' ? value : JSON.stringify(value);
    out += `${out === '' ? '' : ' '}${key}=${text}`;
    if (out.length > maxLength) return `${out.slice(0, maxLength)}…`;
  }
  return out;
}

/** One line of plain text, as a terminal would show it: ISO time, level, source, message, fields. */
export function entryToText(entry: LogEntry, utc = true): string {
  const fields = entry.fields === undefined ? '' : ` ${JSON.stringify(entry.fields)}`;
  return `${formatFullTime(entry.time, utc)} ${entry.level.toUpperCase().padEnd(5)} [${entry.source}] ${stripAnsi(entry.msg)}${fields}`;
}

/** One line of NDJSON: the entry as the server sent it. */
export function entryToJson(entry: LogEntry): string {
  return JSON.stringify(entry);
}
