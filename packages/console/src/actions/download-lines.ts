import type { LogEntry } from '@livelog/protocol';
import { entryToJson, entryToText } from '../render/format-line.js';

/** The two download formats: plain text as a terminal shows it, or the entries as NDJSON. */
export type DownloadFormat = 'text' | 'ndjson';

/** Turns entries into the downloaded file's lines, each ending with `\n`. */
export function formatLines(entries: readonly LogEntry[], format: DownloadFormat): string {
  const line = format === 'ndjson' ? entryToJson : (entry: LogEntry) => entryToText(entry);
  let out = '';
  for (const entry of entries) out += `${line(entry)}\n`;
  return out;
}

/** A file name like `livelog-2024-11-28T10-20-30.ndjson`. */
export function downloadName(format: DownloadFormat, now = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replaceAll(':', '-');
  return `livelog-${stamp}.${format === 'ndjson' ? 'ndjson' : 'log'}`;
}

/** Hands `parts` to the browser as a file download. */
export function saveFile(parts: BlobPart[], name: string, type: string): void {
  const url = URL.createObjectURL(new Blob(parts, { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  // Revoking at once can cancel a download the browser has not started reading yet.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
