import { LivelogError } from '@livelog/core';

/**
 * One syslog message, parsed. Written here rather than taken from npm: the parsers there
 * (`syslog-parse`, `glossy`, `nsyslog-parser`) are unmaintained or lenient in ways that hide bad
 * frames (a missing PRI becomes a message), and none reports what was malformed.
 */
export interface SyslogMessage {
  format: 'rfc5424' | 'rfc3164';
  /** 0..23 (kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, ntp, audit, alert, clock, local0..7). */
  facility: number;
  /** 0 (emerg) .. 7 (debug). */
  severity: number;
  /** Epoch ms, when the message states a usable time. */
  time?: number;
  /** The timestamp as sent, when one was. */
  timestamp?: string;
  hostname?: string;
  /** RFC 5424 APP-NAME, or the RFC 3164 TAG. */
  appName?: string;
  procId?: string;
  msgId?: string;
  /** RFC 5424 structured data: SD-ID → param → value (a repeated param keeps its last value). */
  structuredData?: Record<string, Record<string, string>>;
  msg: string;
}

export const FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'audit',
  'alert',
  'clock',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
] as const;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const RFC3164_TIME = /^([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d) /;
/**
 * An RFC 3339 time where RFC 3164 has its `Mmm dd hh:mm:ss`: rsyslog's RSYSLOG_ForwardFormat and
 * syslog-ng's `ts-format(iso)` send it (fraction up to 6 digits there; up to 9 taken, ms kept).
 */
const RFC3164_ISO_TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) /;
/** RFC 5424 §6.2.3: full-date "T" partial-time time-offset, fraction at most 6 digits. */
const RFC5424_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$/;
const BOM = '\ufeff';
const TAG_WITH_COLON = /^([^\s:[\]]{1,48})(?:\[([^\]\s]{1,128})\])?: ?/;
const TAG_AFTER_HEADER = /^([^\s:[\]]{1,48})(?:\[([^\]\s]{1,128})\])?(?:: ?| |$)/;

function bad(message: string): LivelogError {
  return new LivelogError('LIVELOG_ERR_SYSLOG_BAD_MESSAGE', message);
}

/**
 * Parses one syslog message (framing already removed). `<PRI>1 ` starts RFC 5424, parsed strictly
 * (LIVELOG_ERR_SYSLOG_BAD_MESSAGE on a malformed header); any other `<PRI>` is read as RFC 3164,
 * leniently as its §4.3 asks of a receiver (a missing timestamp or hostname leaves the rest as the
 * message). No `<PRI>` at all is LIVELOG_ERR_SYSLOG_BAD_FRAME: a peer speaking another protocol
 * (or garbage) is told apart from a message. `now` gives RFC 3164 timestamps their year.
 */
export function parseSyslog(text: string, now: number): SyslogMessage {
  const pri = /^<(\d{1,3})>/.exec(text);
  const value = pri === null ? Number.NaN : Number(pri[1]);
  if (pri === null || value > 191 || ((pri[1] as string).length > 1 && (pri[1] as string).startsWith('0'))) {
    throw new LivelogError(
      'LIVELOG_ERR_SYSLOG_BAD_FRAME',
      `a syslog message starts with <PRI>, a number from 0 to 191; got ${JSON.stringify(text.slice(0, 24))}`,
    );
  }
  const facility = Math.floor(value / 8);
  const severity = value % 8;
  const rest = text.slice(pri[0].length);
  if (rest.startsWith('1 ')) return parse5424(rest.slice(2), facility, severity);
  return parse3164(rest, facility, severity, now);
}

function parse5424(text: string, facility: number, severity: number): SyslogMessage {
  let at = 0;
  const field = (name: string, max: number): string | undefined => {
    const end = text.indexOf(' ', at);
    if (end < 0) throw bad(`RFC 5424 message ends before its ${name}`);
    const value = text.slice(at, end);
    at = end + 1;
    if (value === '') throw bad(`RFC 5424 ${name} is empty (two spaces in the header)`);
    if (value.length > max || !/^[\x21-\x7e]+$/.test(value)) throw bad(`RFC 5424 ${name} is not 1 to ${max} printable ASCII characters`);
    return value === '-' ? undefined : value;
  };
  const timestamp = field('TIMESTAMP', 32);
  let time: number | undefined;
  if (timestamp !== undefined) {
    if (!RFC5424_TIME.test(timestamp)) throw bad(`RFC 5424 TIMESTAMP ${JSON.stringify(timestamp)} is not like 2026-12-05T21:10:00.123Z`);
    time = Date.parse(timestamp);
    if (Number.isNaN(time)) throw bad(`RFC 5424 TIMESTAMP ${JSON.stringify(timestamp)} is not a real date`);
  }
  const message: SyslogMessage = { format: 'rfc5424', facility, severity, msg: '' };
  const hostname = field('HOSTNAME', 255);
  const appName = field('APP-NAME', 48);
  const procId = field('PROCID', 128);
  const msgId = field('MSGID', 32);
  if (timestamp !== undefined) message.timestamp = timestamp;
  if (time !== undefined) message.time = time;
  if (hostname !== undefined) message.hostname = hostname;
  if (appName !== undefined) message.appName = appName;
  if (procId !== undefined) message.procId = procId;
  if (msgId !== undefined) message.msgId = msgId;
  if (text[at] === '-') {
    at++;
  } else if (text[at] === '[') {
    const sd: Record<string, Record<string, string>> = Object.create(null);
    at = parseStructuredData(text, at, sd);
    message.structuredData = { ...sd };
  } else {
    throw bad('RFC 5424 STRUCTURED-DATA is neither "-" nor [id param="value" ...]');
  }
  if (at < text.length) {
    if (text[at] !== ' ') throw bad('RFC 5424 STRUCTURED-DATA is not followed by a space and the message');
    const msg = text.slice(at + 1);
    message.msg = msg.startsWith(BOM) ? msg.slice(1) : msg;
  }
  return message;
}

/** Parses `[id p="v" ...]...` from `at`; returns the index just after the last `]`. */
function parseStructuredData(text: string, start: number, into: Record<string, Record<string, string>>): number {
  let at = start;
  while (text[at] === '[') {
    at++;
    const idEnd = scanName(text, at);
    if (idEnd === at) throw bad('RFC 5424 SD-ID is empty');
    const id = text.slice(at, idEnd);
    at = idEnd;
    const params: Record<string, string> = into[id] ?? {};
    while (text[at] === ' ') {
      at++;
      const nameEnd = scanName(text, at);
      if (nameEnd === at || text[nameEnd] !== '=' || text[nameEnd + 1] !== '"')
        throw bad(`RFC 5424 SD-PARAM in [${id}] is not name="value"`);
      const name = text.slice(at, nameEnd);
      at = nameEnd + 2;
      let value = '';
      for (;;) {
        const char = text[at];
        if (char === undefined) throw bad(`RFC 5424 SD-PARAM ${name} in [${id}] has no closing quote`);
        at++;
        if (char === '"') break;
        // §6.3.3: only \" \\ \] are escapes; a backslash before anything else is itself.
        if (char === '\\' && (text[at] === '"' || text[at] === '\\' || text[at] === ']')) {
          value += text[at];
          at++;
        } else {
          value += char;
        }
      }
      params[name] = value;
    }
    if (text[at] !== ']') throw bad(`RFC 5424 SD-ELEMENT [${id}] is not closed by ]`);
    at++;
    // fromEntries-like own data: "__proto__" as an SD-ID stays a plain key.
    Object.defineProperty(into, id, { value: params, enumerable: true, writable: true, configurable: true });
  }
  return at;
}

/** End of an SD-NAME: printable ASCII except = SP ] ", at most 32 characters. */
function scanName(text: string, start: number): number {
  let at = start;
  while (at < text.length && at - start < 32) {
    const code = text.charCodeAt(at);
    if (code < 0x21 || code > 0x7e || code === 0x3d || code === 0x5d || code === 0x22) break;
    at++;
  }
  return at;
}

function parse3164(text: string, facility: number, severity: number, now: number): SyslogMessage {
  const message: SyslogMessage = { format: 'rfc3164', facility, severity, msg: text };
  let rest = text;
  const stamp = RFC3164_TIME.exec(rest);
  const iso = stamp === null ? RFC3164_ISO_TIME.exec(rest) : null;
  let matched: string | undefined;
  if (stamp !== null) {
    const month = MONTHS.indexOf(stamp[1] as string);
    if (month >= 0) {
      matched = stamp[0];
      message.time = rfc3164Time(month, Number(stamp[2]), Number(stamp[3]), Number(stamp[4]), Number(stamp[5]), now);
    }
  } else if (iso !== null) {
    // Date.parse reads at most ms; the zone says the instant, so no year or local-time guess.
    const time = Date.parse(`${iso[1]}.${(iso[2] ?? '').padEnd(3, '0').slice(0, 3)}${iso[3]}`);
    if (!Number.isNaN(time)) {
      matched = iso[0];
      message.time = time;
    }
  }
  if (matched !== undefined) {
    message.timestamp = matched.trimEnd();
    rest = rest.slice(matched.length);
    // A hostname follows the timestamp unless the next word is already the tag ("sshd[42]:", "cron:").
    const word = /^(\S+) /.exec(rest);
    if (word !== null && !/[:[\]]/.test(word[1] as string)) {
      message.hostname = word[1] as string;
      rest = rest.slice(word[0].length);
    }
  }
  // After a timestamp the next word is the TAG whether a colon or a space ends it (RFC 3164 §4.1.3:
  // any non-alphanumeric character ends it), as rsyslog reads it: rsyslog's default forwarding
  // template sends a message it got as RFC 5424 as `… HOST app[pid] msg`, with no colon. Without a
  // timestamp only `tag:` is a tag, so a bare `<13>some text` stays the message.
  const tag = (matched === undefined ? TAG_WITH_COLON : TAG_AFTER_HEADER).exec(rest);
  if (tag !== null) {
    message.appName = tag[1] as string;
    if (tag[2] !== undefined) message.procId = tag[2];
    rest = rest.slice(tag[0].length);
  }
  message.msg = rest;
  return message;
}

/**
 * An RFC 3164 time (no year, no zone) in the server's local time zone, in the year that puts it
 * nearest to now: a December line read in January belongs to last year.
 */
function rfc3164Time(month: number, day: number, hour: number, minute: number, second: number, now: number): number | undefined {
  const year = new Date(now).getFullYear();
  let best: number | undefined;
  for (const candidate of [year - 1, year, year + 1]) {
    const date = new Date(candidate, month, day, hour, minute, second);
    if (date.getMonth() !== month) continue;
    const time = date.getTime();
    if (best === undefined || Math.abs(time - now) < Math.abs(best - now)) best = time;
  }
  return best;
}
