import type { NewEntry } from '@livelog/core';

/**
 * Entries bound for one livelog stream, in the order they arrived. Input mappings produce these;
 * `appendEntryGroups` stores them.
 */
export interface EntryGroup {
  /** A stream name (see `streamNameOf`), or undefined for the stream the request was sent to. */
  stream?: string;
  entries: NewEntry[];
}

/** A livelog stream name, as the design fixes it. */
export const STREAM_NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/**
 * The stream name a label or attribute value stands for, or undefined when nothing usable is left:
 * lower-cased, every run of characters outside `[a-z0-9._-]` replaced by one `-`, leading
 * characters other than `[a-z0-9]` removed, cut to 128 characters. `Payments API` → `payments-api`,
 * `_internal` → `internal`, `???` → undefined.
 */
export function streamNameOf(value: string): string | undefined {
  const name = value
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 128);
  return STREAM_NAME.test(name) ? name : undefined;
}
