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
  const { [config.messageKey]: message, level, time, ...rest } = record;
  const out: LogRecord = { ...rest };
  out.msg = messageText(message, rest[config.errorKey]);
  if (typeof level === 'number') out.level = level;
  else if (typeof level === 'string') out.level = config.levelValues?.[level] ?? level;
  if (typeof time === 'number') out.time = time < SECONDS_BEFORE ? Math.round(time * 1000) : time;
  else if (typeof time === 'string') out.time = time;
  if (typeof rest.source !== 'string') {
    // A binding called source that is not a name is kept, under another key, rather than refused.
    if (rest.source !== undefined) out.pinoSource = rest.source;
    const source = config.source ?? (typeof rest.name === 'string' ? rest.name : undefined);
    if (source !== undefined) out.source = source;
    else delete out.source;
  }
  // With a messageKey other than msg, a binding called msg would be taken for the message.
  if (config.messageKey !== 'msg' && rest.msg !== undefined) out.pinoMsg = rest.msg;
  return out;
}

function messageText(message: unknown, error: unknown): string {
  if (typeof message === 'string') return message;
  if (message !== undefined && message !== null) return typeof message === 'object' ? JSON.stringify(message) : String(message);
  const errorMessage = (error as { message?: unknown } | undefined)?.message;
  return typeof errorMessage === 'string' ? errorMessage : '';
}
