import type { LogRecord } from '@livelog/client';

/** What the mapping needs to know of the pino logger that wrote a record. */
export interface PinoRecordConfig {
  /** pino's `messageKey`. Defaults to `msg`. */
  messageKey: string;
  /** pino's `errorKey`. Defaults to `err`. */
  errorKey: string;
  /** pino's level names and numbers (custom levels included), when pino sent them. */
  levelValues?: Record<string, number>;
  /** Source for records that name none; when undefined, a `name` binding serves. */
  source?: string;
}

/** Below this a number is taken as seconds (pino.stdTimeFunctions.unixTime), not milliseconds: 10^11 ms is 1973. */
const SECONDS_BEFORE = 1e11;

/**
 * A pino record (one parsed NDJSON line) as a livelog record:
 * - the `messageKey` value becomes `msg`; with none, the logged error's message does;
 * - `level` stays a pino number (the server maps 10..60, custom levels falling to the standard level
 *   below them); a label (`formatters.level`) becomes its number when pino told us its levels;
 * - `time` stays epoch ms; epoch seconds (`unixTime`) are turned into ms; ISO strings pass;
 * - `source`: the record's own `source`, else the transport's `source`, else pino's `name`;
 * - everything else (pid, hostname, name, child bindings, the serialized error with its `type`,
 *   `message` and `stack`) becomes the entry's `fields`.
 */
export function mapPinoRecord(record: Record<string, unknown>, config: PinoRecordConfig): LogRecord {
  // A plain loop: rest destructuring with a computed key costs several µs per record in V8, and
  // this runs once per log line.
  const out: LogRecord = {};
  let message: unknown;
  let level: unknown;
  let time: unknown;
  for (const key in record) {
    const value = record[key];
    if (key === config.messageKey) message = value;
    else if (key === 'level') level = value;
    else if (key === 'time') time = value;
    else out[key] = value;
  }
  // With a messageKey other than msg, a binding called msg would be taken for the message.
  if (config.messageKey !== 'msg' && out.msg !== undefined) out.pinoMsg = out.msg;
  out.msg = messageText(message, out[config.errorKey]);
  if (typeof level === 'number') out.level = level;
  else if (typeof level === 'string') out.level = config.levelValues?.[level] ?? level;
  if (typeof time === 'number') out.time = time < SECONDS_BEFORE ? Math.round(time * 1000) : time;
  else if (typeof time === 'string') out.time = time;
  if (typeof out.source !== 'string') {
    // A binding called source that is not a name is kept, under another key, rather than refused.
    if (out.source !== undefined) out.pinoSource = out.source;
    const source = config.source ?? (typeof out.name === 'string' ? out.name : undefined);
    if (source !== undefined) out.source = source;
    else if (out.source !== undefined) delete out.source;
  }
  return out;
}

function messageText(message: unknown, error: unknown): string {
  if (typeof message === 'string') return message;
  if (message !== undefined && message !== null) return typeof message === 'object' ? JSON.stringify(message) : String(message);
  const errorMessage = (error as { message?: unknown } | undefined)?.message;
  return typeof errorMessage === 'string' ? errorMessage : '';
}
