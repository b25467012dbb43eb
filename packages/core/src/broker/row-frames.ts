import type { LogEntry } from '@livelog/protocol';
import { encodeEntryFrame, encodeIdOnly } from '../sse/encode-event.js';
import type { StoredEntry } from '../store/log-store.js';

/**
 * Entry frames of stored rows (in seq order) that `matches` accepts (all when it is undefined). When
 * the last row is skipped, an id-only event carries its id, so the reader resumes after it.
 */
export function rowFrames(
  rows: readonly StoredEntry[],
  matches: ((entry: LogEntry) => boolean) | undefined,
  id: (seq: number) => string,
): { text: string; written: number } {
  let text = '';
  let written = 0;
  let endsSkipped = false;
  for (const row of rows) {
    if (matches !== undefined) {
      row.entry ??= JSON.parse(row.json) as LogEntry;
      if (!matches(row.entry)) {
        endsSkipped = true;
        continue;
      }
    }
    text += encodeEntryFrame(id(row.seq), row.json);
    written++;
    endsSkipped = false;
  }
  if (endsSkipped) text += encodeIdOnly(id((rows[rows.length - 1] as StoredEntry).seq));
  return { text, written };
}
