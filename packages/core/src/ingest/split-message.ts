import type { NewEntry } from '../entry/new-entry.js';

/**
 * `entry` as one or more entries whose `msg` fits in `maxBytes` UTF-8 bytes. Parts are cut on
 * character boundaries, numbered `part: {index, count}` from 1, and keep the entry's time, level and
 * source; `fields` stay on the first part only so a large record is not stored many times.
 */
export function splitMessage(entry: NewEntry, maxBytes: number): NewEntry[] {
  // Fast path: a UTF-16 length this small cannot exceed the byte limit (at most 3 bytes per unit).
  if (entry.msg.length * 3 <= maxBytes || Buffer.byteLength(entry.msg) <= maxBytes) return [entry];
  const bytes = Buffer.from(entry.msg, 'utf8');
  const chunks: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + maxBytes, bytes.length);
    // Back up to the start of a UTF-8 character so no character is cut in two.
    while (end < bytes.length && end > start && ((bytes[end] as number) & 0xc0) === 0x80) end--;
    chunks.push(bytes.toString('utf8', start, end));
    start = end;
  }
  return chunks.map((msg, i) => {
    const part: NewEntry = {
      time: entry.time,
      level: entry.level,
      source: entry.source,
      msg,
      part: { index: i + 1, count: chunks.length },
    };
    if (i === 0 && entry.fields !== undefined) part.fields = entry.fields;
    if (entry.invalidUtf8) part.invalidUtf8 = true;
    return part;
  });
}
