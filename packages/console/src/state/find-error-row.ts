import type { LogEntry } from '@livelog/protocol';
import type { BufferItem } from './log-buffer.js';

/** The first error or fatal line after row `from` (step 1) or before it (step -1), as `e`/`E` jump. */
export function findErrorRow(rows: readonly BufferItem[], from: number, step: 1 | -1): LogEntry | undefined {
  for (let index = from + step; index >= 0 && index < rows.length; index += step) {
    const row = rows[index];
    if (row?.kind === 'entry' && (row.entry.level === 'error' || row.entry.level === 'fatal')) return row.entry;
  }
  return undefined;
}
