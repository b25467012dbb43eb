/**
 * The time a text line starts with. Recognised (docs/reference/line-timestamps.md), optionally after a
 * syslog priority `<34>`:
 *
 * - ISO 8601 / RFC 3339 date and time, `T` or a space between, optional fraction (`.` or `,`, up to
 *   9 digits) and zone (`Z`, `+02:00`, `+0200`, `+02`), optionally in `[…]`: `2024-05-01T12:00:00.123Z`,
 *   `2024-05-01 12:00:00,123` (log4j, Python), `[2024-05-01T12:00:00+02:00]`, RFC 5424's
 *   `<34>1 2024-05-01T12:00:00Z`.
 * - Go's `log` and nginx's error log: `2024/05/01 12:00:00` (optional fraction).
 * - Common / combined log format (Apache, nginx access logs): `host ident user [10/Oct/2000:13:55:36 -0700] "GET …"`,
 *   or the bracket first.
 * - BSD syslog (RFC 3164): `Oct 11 22:14:15` (optional fraction); the year is the receive time's, or the
 *   one before when that would put the line more than a day ahead.
 *
 * A time without a zone is local time of the process that reads the line. Undefined when the line
 * starts with none of these, or with one that names an impossible date or lies more than a day after
 * `now` (a clock or zone that is off: the receive time is safer).
 */
export function leadingTimestamp(line: string, now: number): number | undefined {
  let at = 0;
  let first = line.charCodeAt(0);
  if (first === 0x3c /* < */) {
    const pri = SYSLOG_PRI.exec(line);
    if (pri === null) return undefined;
    at = pri[0].length;
    first = line.charCodeAt(at);
  }
  let time: number | undefined;
  if (isDigit(first)) {
    const separator = line.charCodeAt(at + 4);
    if (separator === 0x2d /* - */ || separator === 0x2f /* / */) time = numericDate(line, at, separator);
    else time = common(line, at);
  } else if (first === 0x5b /* [ */) {
    time = isDigit(line.charCodeAt(at + 1)) && line.charCodeAt(at + 5) === 0x2d ? numericDate(line, at + 1, 0x2d, true) : common(line, at);
  } else if (first >= 0x41 && first <= 0x5a && (MONTH_INITIALS >> (first - 0x41)) & 1 && MONTHS.has(line.slice(at, at + 3))) {
    time = syslog(BSD_SYSLOG.exec(at === 0 ? line : line.slice(at)), now);
  } else if (line.length > at) {
    time = common(line, at);
  }
  return time !== undefined && time >= 0 && time <= now + DAY_MS ? time : undefined;
}

const DAY_MS = 86_400_000;
const MONTHS: ReadonlyMap<string, number> = new Map(
  ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map((name, index) => [name, index]),
);
/** Bit n set when the capital letter n (A = 0) starts a month name: A D F J M N O S. */
const MONTH_INITIALS = [...'ADFJMNOS'].reduce((bits, letter) => bits | (1 << (letter.charCodeAt(0) - 0x41)), 0);
const SYSLOG_PRI = /^<\d{1,3}>(?:1 )?/;
/** Groups: day, month name, year, hour, minute, second, zone. Up to three words (host, ident, user) before the bracket. */
const COMMON = /^(?:\S{1,255} \S{1,255} \S{1,255} )?\[(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})\]/;
/** Groups: month name, day (space-padded), hour, minute, second, fraction. */
const BSD_SYSLOG = /^([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?=$|\s)/;

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** The two-digit number at `at`, or -1. */
function twoDigits(line: string, at: number): number {
  const tens = line.charCodeAt(at) - 0x30;
  const ones = line.charCodeAt(at + 1) - 0x30;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : -1;
}

/**
 * `YYYY-MM-DD[T ]hh:mm:ss[.frac][zone]` (ISO 8601, RFC 3339; `bracketed`: followed by `]`) or
 * `YYYY/MM/DD hh:mm:ss[.frac]` (Go, nginx), read by hand: this runs on every line of a piped file,
 * and a regex with eight captures and a Date per line cost several times as much.
 */
function numericDate(line: string, at: number, separator: number, bracketed = false): number | undefined {
  const century = twoDigits(line, at);
  const years = twoDigits(line, at + 2);
  const month = twoDigits(line, at + 5);
  const day = twoDigits(line, at + 8);
  const between = line.charCodeAt(at + 10);
  const iso = separator === 0x2d;
  if (century < 0 || years < 0 || line.charCodeAt(at + 7) !== separator || month < 1 || day < 1) return undefined;
  const year = century * 100 + years;
  if (!(between === 0x20 || (iso && (between === 0x54 || between === 0x74)))) return undefined;
  const hour = twoDigits(line, at + 11);
  const minute = twoDigits(line, at + 14);
  const second = twoDigits(line, at + 17);
  if (line.charCodeAt(at + 13) !== 0x3a || line.charCodeAt(at + 16) !== 0x3a || hour < 0 || minute < 0 || second < 0) return undefined;
  let end = at + 19;
  let ms = 0;
  const dot = line.charCodeAt(end);
  if ((dot === 0x2e || (iso && dot === 0x2c)) && isDigit(line.charCodeAt(end + 1))) {
    let digits = 0;
    for (end++; isDigit(line.charCodeAt(end)) && digits < 9; end++, digits++) {
      if (digits < 3) ms = ms * 10 + line.charCodeAt(end) - 0x30;
    }
    for (; digits < 3; digits++) ms *= 10;
  }
  let offset: number | undefined;
  if (iso) {
    const zone = line.charCodeAt(end);
    if (zone === 0x5a || zone === 0x7a /* Z */) {
      offset = 0;
      end++;
    } else if (zone === 0x2b || zone === 0x2d /* + - */) {
      const hours = twoDigits(line, end + 1);
      if (hours < 0) return undefined;
      end += 3;
      let minutes = 0;
      const colon = line.charCodeAt(end) === 0x3a ? 1 : 0;
      if (isDigit(line.charCodeAt(end + colon))) {
        minutes = twoDigits(line, end + colon);
        if (minutes < 0) return undefined;
        end += colon + 2;
      }
      offset = (zone === 0x2d ? -1 : 1) * (hours * 60 + minutes) * 60_000;
    }
  }
  const next = line.charCodeAt(end);
  const ends = bracketed
    ? next === 0x5d
    : Number.isNaN(next) || next === 0x20 || next === 0x09 || (iso && (next === 0x5d || next === 0x7c || next === 0x2c || next === 0x3b));
  if (!ends) return undefined;
  return compose(year, month - 1, day, hour, minute, second, ms, offset);
}

function common(line: string, at: number): number | undefined {
  // Cheap refusal first: nearly every line has no bracket among its first words.
  const bracket = line.indexOf('[', at);
  if (bracket === -1 || bracket - at > 800) return undefined;
  const match = COMMON.exec(at === 0 ? line : line.slice(at));
  if (match === null) return undefined;
  const [, day, monthName, year, hour, minute, second, zone] = match;
  const month = MONTHS.get(monthName as string);
  if (month === undefined) return undefined;
  const sign = zone?.charCodeAt(0) === 0x2d ? -1 : 1;
  const offset = sign * (Number(zone?.slice(1, 3)) * 60 + Number(zone?.slice(3, 5))) * 60_000;
  return compose(Number(year), month, Number(day), Number(hour), Number(minute), Number(second), 0, offset);
}

function syslog(match: RegExpExecArray | null, now: number): number | undefined {
  if (match === null) return undefined;
  const [, monthName, day, hour, minute, second, fraction] = match;
  const month = MONTHS.get(monthName as string) as number;
  const year = new Date(now).getFullYear();
  const ms = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  const parts = [month, Number(day), Number(hour), Number(minute), Number(second), ms, undefined] as const;
  const time = compose(year, ...parts);
  // No year in the line: a December line read in January belongs to last year.
  return time !== undefined && time > now + DAY_MS ? compose(year - 1, ...parts) : time;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The last minute composed, to skip the Date work for the many lines of one minute. */
let lastMinuteKey = Number.NaN;
let lastMinuteOffset: number | undefined;
let lastMinuteMs = 0;

/**
 * Epoch ms of the fields (month from 0; `offset` east of UTC in ms, undefined for local time), or
 * undefined when one is out of range (Feb 30, 25:00). A leap second reads as the last ordinary one.
 */
function compose(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
  offset: number | undefined,
): number | undefined {
  if (month > 11 || day < 1 || day > (DAYS_IN_MONTH[month] as number) || hour > 23 || minute > 59 || second > 60) return undefined;
  if (month === 1 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return undefined;
  const key = ((year * 12 + month) * 31 + day) * 1440 + hour * 60 + minute;
  if (key !== lastMinuteKey || offset !== lastMinuteOffset) {
    lastMinuteMs =
      offset === undefined ? new Date(year, month, day, hour, minute).getTime() : Date.UTC(year, month, day, hour, minute) - offset;
    lastMinuteKey = key;
    lastMinuteOffset = offset;
  }
  return lastMinuteMs + (second === 60 ? 59 : second) * 1000 + ms;
}
