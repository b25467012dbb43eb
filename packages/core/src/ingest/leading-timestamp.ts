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
  let text = line;
  let first = text.charCodeAt(0);
  if (first === 0x3c /* < */) {
    const pri = SYSLOG_PRI.exec(text);
    if (pri === null) return undefined;
    text = text.slice(pri[0].length);
    first = text.charCodeAt(0);
  }
  let time: number | undefined;
  if (first >= 0x30 && first <= 0x39) {
    const separator = text.charCodeAt(4);
    if (separator === 0x2d /* - */) time = iso(ISO.exec(text));
    else if (separator === 0x2f /* / */) time = slashed(SLASHED.exec(text));
    else time = common(COMMON.exec(text));
  } else if (first === 0x5b /* [ */) {
    time = iso(BRACKETED_ISO.exec(text)) ?? common(COMMON.exec(text));
  } else if (first >= 0x41 && first <= 0x5a /* A-Z */ && MONTHS.has(text.slice(0, 3))) {
    time = syslog(BSD_SYSLOG.exec(text), now);
  } else if (text.length > 0) {
    time = common(COMMON.exec(text));
  }
  return time !== undefined && time >= 0 && time <= now + DAY_MS ? time : undefined;
}

const DAY_MS = 86_400_000;
const MONTHS: ReadonlyMap<string, number> = new Map(
  ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map((name, index) => [name, index]),
);
const SYSLOG_PRI = /^<\d{1,3}>(?:1 )?/;
/** Groups: year, month, day, hour, minute, second, fraction, zone. Ends at a space, `]`, `|`, `,`, `;` or the end. */
const ISO_BODY = String.raw`(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)?`;
const ISO = new RegExp(String.raw`^${ISO_BODY}(?=$|[\s\]|,;])`, 'i');
const BRACKETED_ISO = new RegExp(String.raw`^\[${ISO_BODY}\]`, 'i');
const SLASHED = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?=$|\s)/;
/** Groups: day, month name, year, hour, minute, second, zone. Up to three words (host, ident, user) before the bracket. */
const COMMON = /^(?:\S{1,255} \S{1,255} \S{1,255} )?\[(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})\]/;
/** Groups: month name, day (space-padded), hour, minute, second, fraction. */
const BSD_SYSLOG = /^([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?=$|\s)/;

function iso(match: RegExpExecArray | null): number | undefined {
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  return compose(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), fraction, zone);
}

function slashed(match: RegExpExecArray | null): number | undefined {
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction] = match;
  return compose(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), fraction, undefined);
}

function common(match: RegExpExecArray | null): number | undefined {
  if (match === null) return undefined;
  const [, day, monthName, year, hour, minute, second, zone] = match;
  const month = MONTHS.get(monthName as string);
  if (month === undefined) return undefined;
  return compose(Number(year), month, Number(day), Number(hour), Number(minute), Number(second), undefined, zone);
}

function syslog(match: RegExpExecArray | null, now: number): number | undefined {
  if (match === null) return undefined;
  const [, monthName, day, hour, minute, second, fraction] = match;
  const month = MONTHS.get(monthName as string) as number;
  const year = new Date(now).getFullYear();
  const parts = [month, Number(day), Number(hour), Number(minute), Number(second)] as const;
  const time = compose(year, ...parts, fraction, undefined);
  // No year in the line: a December line read in January belongs to last year.
  return time !== undefined && time > now + DAY_MS ? compose(year - 1, ...parts, fraction, undefined) : time;
}

/** Epoch ms of the fields, or undefined when one is out of range (Feb 30, 25:00). */
function compose(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  fraction: string | undefined,
  zone: string | undefined,
): number | undefined {
  if (month > 11 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  // A leap second is read as the last ordinary one rather than refused.
  const sec = second === 60 ? 59 : second;
  const ms = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  let time: number;
  if (zone === undefined) {
    const local = new Date(year, month, day, hour, minute, sec, ms);
    if (local.getDate() !== day) return undefined;
    time = local.getTime();
  } else {
    time = Date.UTC(year, month, day, hour, minute, sec, ms);
    if (new Date(time).getUTCDate() !== day) return undefined;
    time -= zoneOffsetMs(zone);
  }
  return Number.isNaN(time) ? undefined : time;
}

/** `Z`, `+02:00`, `+0200`, `-07` as ms east of UTC. */
function zoneOffsetMs(zone: string): number {
  if (zone === 'Z' || zone === 'z') return 0;
  const sign = zone.charCodeAt(0) === 0x2d ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * 60 + minutes) * 60_000;
}
