import { checkSource, type NewEntry } from '@livelog/core';
import type { LevelName } from '@livelog/protocol';
import { FACILITIES, type SyslogMessage } from './parse-syslog.js';

/** Syslog severities 0..7 as livelog levels: emerg, alert and crit are fatal; notice is info. */
const LEVELS: readonly LevelName[] = ['fatal', 'fatal', 'fatal', 'error', 'warn', 'info', 'info', 'debug'];
const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

/** What `mapSyslog` needs besides the message. */
export interface SyslogMapOptions {
  /** Receive time, ms. */
  now: number;
  /** Producer times further ahead of `now` are replaced by it (`--max-clock-skew`), as native ingest does. */
  maxFutureSkewMs: number;
  /** The source of a message with no usable APP-NAME/TAG and no hostname. Defaults to `syslog`. */
  fallbackSource?: string;
}

/**
 * A parsed syslog message as an entry: severity → level, APP-NAME (RFC 3164: TAG) → source, else
 * the hostname, else `syslog`; facility and severity names, hostname, procid, msgid and each
 * structured-data element (by SD-ID) → fields. Its time is the message's timestamp, or the receive
 * time when it has none or it lies further ahead than the clock-skew limit (the original is kept in
 * `fields.originalTime`, as for native ingest).
 */
export function mapSyslog(message: SyslogMessage, invalidUtf8: boolean, options: SyslogMapOptions): NewEntry {
  const fields: Record<string, unknown> = {
    facility: FACILITIES[message.facility] ?? String(message.facility),
    severity: SEVERITIES[message.severity],
  };
  if (message.hostname !== undefined) fields.hostname = message.hostname;
  if (message.procId !== undefined) fields.procid = message.procId;
  if (message.msgId !== undefined) fields.msgid = message.msgId;
  if (message.structuredData !== undefined) {
    for (const [id, params] of Object.entries(message.structuredData)) {
      Object.defineProperty(fields, id, { value: params, enumerable: true, writable: true, configurable: true });
    }
  }
  let time = message.time ?? options.now;
  if (time - options.now > options.maxFutureSkewMs) {
    fields.originalTime = message.timestamp;
    time = options.now;
  }
  const entry: NewEntry = {
    time,
    level: LEVELS[message.severity] as LevelName,
    source: sourceOf(message, options.fallbackSource ?? 'syslog'),
    msg: message.msg,
    fields,
  };
  if (invalidUtf8) entry.invalidUtf8 = true;
  return entry;
}

function sourceOf(message: SyslogMessage, fallback: string): string {
  for (const candidate of [message.appName, message.hostname]) {
    if (candidate === undefined) continue;
    try {
      return checkSource(candidate);
    } catch {
      // A tag with controls in it (RFC 3164 allows anything) is not a usable name; the next one may be.
    }
  }
  return fallback;
}
