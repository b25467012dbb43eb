import { encodeCursor, type LogEntry } from '@livelog/protocol';
import type { NewEntry } from './new-entry.js';

/** The stored entry for `entry` at `seq` in `stream`, with its keys in the documented order. */
export function toLogEntry(stream: string, seq: number, entry: NewEntry): LogEntry {
  const out: LogEntry = {
    id: encodeCursor({ stream, seq }),
    seq,
    time: entry.time,
    level: entry.level,
    source: entry.source,
    msg: entry.msg,
  };
  if (entry.fields !== undefined) out.fields = entry.fields;
  if (entry.invalidUtf8) out.invalidUtf8 = true;
  if (entry.part !== undefined) out.part = entry.part;
  return out;
}
