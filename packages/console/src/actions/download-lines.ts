import type { LogEntry } from '@livelog/protocol';
import { entryToJson, entryToText } from '../render/format-line.js';
import { describeError } from '../state/describe-error.js';
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

/**
 * The one download a console runs at a time, with its progress for the toolbar. A failure shows as
 * the model's notice; a cancelled download shows nothing.
 */
export class DownloadTask {
  /** What the toolbar shows while a download runs; undefined when none does. */
  label: string | undefined;
  #abort: AbortController | undefined;
  readonly #changed: () => void;

  /** `changed` is called whenever the label changes. */
  constructor(changed: () => void) {
    this.#changed = changed;
  }

  async start(model: LogModel, scope: 'loaded' | 'range', format: DownloadFormat): Promise<void> {
    if (this.#abort !== undefined) return;
    const abort = new AbortController();
    this.#abort = abort;
    this.label = 'Downloading…';
    this.#changed();
    try {
      await downloadLines(model, scope, format, abort.signal, (lines) => {
        this.label = `Downloading… ${lines.toLocaleString('en-US')} lines`;
        this.#changed();
      });
    } catch (error) {
      if (!abort.signal.aborted) model.notice = `download failed: ${describeError(error)}`;
    } finally {
      this.#abort = undefined;
      this.label = undefined;
      this.#changed();
    }
  }

  cancel(): void {
    this.#abort?.abort();
  }
}
