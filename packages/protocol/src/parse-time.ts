import { parseDuration } from './parse-duration.js';

/** The latest time accepted: the end of year 9999, like ISO 8601 without an expanded year. */
const MAX_TIME_MS = 253_402_300_799_999;
/** ISO 8601 / RFC 3339 date or date-time, with optional fraction and zone. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
/** The seconds of a leap second (`23:59:60`), which RFC 3339 allows and `Date.parse` refuses. */
const LEAP_SECOND = /^(.{10}[T ]\d{2}:\d{2}:)60(?=[.,Z+-]|$)/i;

/**
 * Epoch ms from a number of ms, a string of digits (ms), or an ISO 8601 / RFC 3339 string. Undefined
 * when the value is none of those or lies outside year 0..9999. Fractions of a ms are dropped. How
 * ingest reads an entry's `time`.
 */
export function parseTime(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 && value <= MAX_TIME_MS ? Math.floor(value) : undefined;
  }
  if (typeof value !== 'string' || value.length > 40) return undefined;
  const text = value.trim();
  if (/^\d{1,15}$/.test(text)) return parseTime(Number(text));
  if (!ISO_8601.test(text) || !isCalendarDate(text)) return undefined;
  // A leap second is read as the second before it, fraction kept, as a text line's leading timestamp
  // is: clocks that report one (RFC 3339 allows `:60`) must not have a whole batch refused for it.
  const ms = Date.parse(text.replace(LEAP_SECOND, '$159').replace(',', '.').replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : parseTime(ms);
}

/**
 * Whether the date part of an ISO 8601 string names a day of the calendar: `Date.parse` takes any
 * day up to 31 in every month and rolls over (`2024-02-30` is read as March 1st).
 */
function isCalendarDate(text: string): boolean {
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one.
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * A point in time as people write it where livelog asks "from when" or "until when" (`?since=`,
 * `livelog tail --since/--until`): epoch ms (digits), an ISO 8601 / RFC 3339 date, or a duration back
 * from `now` in parseDuration's grammar (`10m`, `1h30m`, `2d`). Undefined for anything else, and for
 * a duration reaching back before 1970-01-01. Digits are always epoch ms here, never a duration.
 */
export function parseTimePoint(text: string, now = Date.now()): number | undefined {
  const time = parseTime(text);
  if (time !== undefined) return time;
  if (/^\s*\d+\s*$/.test(text)) return undefined;
  const ago = parseDuration(text);
  // A duration reaching back before 1970 (`9999999d`) is refused like a date there: no time is stored
  // before it, and `since=-1` being a 400 while `since=9999999d` meant "everything" was a trap.
  return ago === undefined ? undefined : parseTime(now - ago);
}

/** Whether `text` is a duration too long to count back from `now`: it reaches back before 1970. */
export function isDurationTooFarBack(text: string, now = Date.now()): boolean {
  if (/^\s*\d+\s*$/.test(text)) return false;
  const ago = parseDuration(text);
  return ago !== undefined && parseTime(now - ago) === undefined;
}
