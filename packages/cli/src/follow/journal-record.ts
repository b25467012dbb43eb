import { isUtf8 } from 'node:buffer';
import { checkSource } from '@livelog/core/ingest';

/** journald PRIORITY (syslog severity 0..7) as livelog levels, as the syslog input maps them. */
const LEVELS = ['fatal', 'fatal', 'fatal', 'error', 'warn', 'info', 'info', 'debug'] as const;

/** One line of `journalctl -o json` as the NDJSON record livelog ingests, and its cursor. */
export interface JournalRecord {
  line: string;
  cursor: string;
}

/**
 * Maps a journal entry: MESSAGE → msg (a byte-array MESSAGE, which journalctl prints for binary or
 * non-UTF-8 text, is decoded and marked `invalidUtf8` when it is not UTF-8); PRIORITY → level;
 * SYSLOG_IDENTIFIER, else _SYSTEMD_UNIT, else _COMM → source; __REALTIME_TIMESTAMP (µs) → time;
 * _SYSTEMD_UNIT, _PID and _HOSTNAME → fields `unit`, `pid`, `hostname`. Undefined for a line that is
 * no journal entry (no __CURSOR).
 */
export function mapJournalLine(text: string): JournalRecord | undefined {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (entry === null || typeof entry !== 'object' || typeof entry.__CURSOR !== 'string') return undefined;
  const record: Record<string, unknown> = {};
  let invalidUtf8 = false;
  const message = entry.MESSAGE;
  if (typeof message === 'string') record.msg = message;
  else if (Array.isArray(message)) {
    const bytes = Buffer.from(message as number[]);
    invalidUtf8 = !isUtf8(bytes);
    record.msg = bytes.toString('utf8');
  } else record.msg = '';
  const priority = Number(entry.PRIORITY);
  record.level = Number.isInteger(priority) && priority >= 0 && priority <= 7 ? LEVELS[priority] : 'info';
  const micros = Number(entry.__REALTIME_TIMESTAMP);
  if (Number.isFinite(micros) && micros > 0) record.time = Math.floor(micros / 1000);
  record.source = sourceOf(entry);
  if (typeof entry._SYSTEMD_UNIT === 'string') record.unit = entry._SYSTEMD_UNIT;
  if (typeof entry._PID === 'string') record.pid = entry._PID;
  if (typeof entry._HOSTNAME === 'string') record.hostname = entry._HOSTNAME;
  if (invalidUtf8) record.invalidUtf8 = true;
  return { line: JSON.stringify(record), cursor: entry.__CURSOR };
}

function sourceOf(entry: Record<string, unknown>): string {
  for (const key of ['SYSLOG_IDENTIFIER', '_SYSTEMD_UNIT', '_COMM']) {
    const value = entry[key];
    if (typeof value !== 'string') continue;
    try {
      return checkSource(value);
    } catch {
      // Not a printable name (controls in it): the server would refuse the batch; try the next.
    }
  }
  return 'journal';
}
