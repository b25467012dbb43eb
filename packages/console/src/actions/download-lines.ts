import type { LogEntry } from '@livelog/protocol';
import { entryToJson, entryToText } from '../render/format-line.js';
import type { LogModel } from '../state/log-model.js';

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

/**
 * Saves the loaded lines as shown (`loaded`), or every line matching the filter from the oldest
 * retained one up to now, paged from the server (`range`). `onProgress` gets the lines so far.
 */
export async function downloadLines(
  model: LogModel,
  scope: 'loaded' | 'range',
  format: DownloadFormat,
  signal: AbortSignal,
  onProgress: (lines: number) => void,
): Promise<void> {
  const type = format === 'ndjson' ? 'application/x-ndjson' : 'text/plain';
  if (scope === 'loaded') {
    const shown = model.buffer.rows.flatMap((row) => (row.kind === 'entry' ? [row.entry] : []));
    saveFile([formatLines(shown, format)], downloadName(format), type);
    return;
  }
  const parts: string[] = [];
  let lines = 0;
  for await (const page of model.wholeRange(signal)) {
    parts.push(formatLines(page, format));
    lines += page.length;
    onProgress(lines);
  }
  if (!signal.aborted) saveFile(parts, downloadName(format), type);
}
