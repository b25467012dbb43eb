import type { LogRecord } from '@livelog/client';
import { LEVEL } from 'triple-beam';

/** Level names of winston's npm and syslog sets (and the cli set's extra words) as livelog levels. */
const LEVELS: Record<string, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  emerg: 'fatal',
  alert: 'fatal',
  crit: 'fatal',
  error: 'error',
  warning: 'warn',
  warn: 'warn',
  notice: 'info',
  info: 'info',
  help: 'info',
  data: 'info',
  http: 'info',
  prompt: 'info',
  verbose: 'debug',
  debug: 'debug',
  input: 'debug',
  silly: 'trace',
};

/** Keys winston itself sets; everything else on `info` is the caller's metadata. */
const OWN_KEYS = new Set(['level', 'message', 'timestamp']);

/** Options of the mapping. */
export interface WinstonInfoConfig {
  /** Source for records that name none; when undefined, a `service` field (winston's `defaultMeta` convention) serves. */
  source?: string;
}

/**
 * A winston `info` object as a livelog record:
 * - `level`: the raw level (`info[LEVEL]`, untouched by `format.colorize`), npm and syslog names
 *   mapped (`verbose` → debug, `silly` → trace, `crit` → fatal, …); a custom level becomes info, its
 *   name kept in `winstonLevel`;
 * - `message` → `msg`; `timestamp` (from `format.timestamp()`) → `time`, else now;
 * - `source`: the info's own `source`, else the transport's `source`, else `service`;
 * - every other own key (metadata, `defaultMeta`, `stack` from `format.errors`) → `fields`; an Error
 *   logged directly keeps its `stack`, and Error values in metadata become `{type, message, stack}`.
 */
export function mapWinstonInfo(info: Record<string | symbol, unknown>, config: WinstonInfoConfig = {}): LogRecord {
  const record: LogRecord = {};
  for (const key of Object.keys(info)) {
    if (!OWN_KEYS.has(key)) record[key] = errorValue(info[key]);
  }
  const raw = typeof info[LEVEL] === 'string' ? (info[LEVEL] as string) : stripAnsi(String(info.level ?? 'info'));
  const level = LEVELS[raw.toLowerCase()];
  record.level = level ?? 'info';
  if (level === undefined) record.winstonLevel = raw;
  record.msg = messageText(info.message);
  record.time = timeOf(info.timestamp);
  // An Error passed as the info itself (logger.error(err)) has its message and stack as non-enumerable properties.
  if (info instanceof Error && record.stack === undefined && typeof info.stack === 'string') record.stack = info.stack;
  if (typeof record.source !== 'string') {
    const source = config.source ?? (typeof record.service === 'string' ? record.service : undefined);
    if (record.source !== undefined) record.winstonSource = record.source;
    if (source !== undefined) record.source = source;
    else delete record.source;
  }
  return record;
}

function messageText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (message === undefined || message === null) return '';
  return typeof message === 'object' ? JSON.stringify(errorValue(message)) : String(message);
}

function timeOf(timestamp: unknown): number | string {
  if (typeof timestamp === 'number' && Number.isFinite(timestamp)) return timestamp;
  if (typeof timestamp === 'string' && !Number.isNaN(Date.parse(timestamp))) return new Date(timestamp).getTime();
  return Date.now();
}

function errorValue(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return { ...value, type: value.name, message: value.message, stack: value.stack };
}

function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}
