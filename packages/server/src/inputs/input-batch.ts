import { type IngestLimits, LivelogError, type NewEntry, splitMessage } from '@livelog/core';
import type { EntryGroup } from './entry-group.js';

/**
 * Collects the entries one request of an input maps to, applying the limits native ingest applies:
 * messages longer than `maxMessageBytes` become marked parts, and more than `maxEntries` entries
 * (parts counted) reject the whole request.
 */
export class InputBatch {
  readonly #limits: IngestLimits;
  readonly #groups = new Map<string | undefined, EntryGroup>();
  #entries = 0;
  /** Records (lines) added, before splitting. */
  records = 0;

  constructor(limits: IngestLimits) {
    this.#limits = limits;
  }

  /** Entries added so far, parts counted. */
  get entries(): number {
    return this.#entries;
  }

  /** The groups in order of first appearance; entries within a group in order of arrival. */
  get groups(): EntryGroup[] {
    return [...this.#groups.values()];
  }

  add(entry: NewEntry, stream?: string): void {
    let group = this.#groups.get(stream);
    if (group === undefined) {
      group = stream === undefined ? { entries: [] } : { stream, entries: [] };
      this.#groups.set(stream, group);
    }
    const parts = splitMessage(entry, this.#limits.maxMessageBytes);
    this.#entries += parts.length;
    if (this.#entries > this.#limits.maxEntries) {
      throw new LivelogError(
        'LIVELOG_ERR_INGEST_TOO_MANY_ENTRIES',
        `a request may hold at most ${this.#limits.maxEntries} entries; send smaller batches`,
      );
    }
    for (const part of parts) group.entries.push(part);
    this.records++;
  }
}

/** LIVELOG_ERR_INGEST_LINE_TOO_LONG when `text` is longer than the line limit, else undefined. */
export function lineTooLong(text: string, limits: IngestLimits, what: string): LivelogError | undefined {
  // A UTF-16 unit is 1 to 3 UTF-8 bytes: count bytes only when the length alone cannot decide.
  if (text.length * 3 <= limits.maxLineBytes) return undefined;
  const bytes = Buffer.byteLength(text);
  if (bytes <= limits.maxLineBytes) return undefined;
  return new LivelogError('LIVELOG_ERR_INGEST_LINE_TOO_LONG', `${what} is ${bytes} bytes; the line limit is ${limits.maxLineBytes}`);
}
