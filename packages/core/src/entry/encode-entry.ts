import { encodeCursor, formatId, type LogEntry } from '@livelog/protocol';
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

/**
 * `JSON.stringify(toLogEntry(stream, seq, entry))`, built directly: the ingest hot path encodes every
 * line once, and skipping the intermediate object saves an allocation and a generic walk per line.
 * Every store encodes its entries with this function (or its two halves), so they all hold the same
 * bytes. `stream` must be a valid stream id (it goes into the JSON unescaped, as encodeCursor allows).
 */
export function encodeEntry(stream: string, seq: number, entry: NewEntry): string {
  return encodeEntryHead(stream, seq) + encodeEntryBody(entry);
}

/** The first half of an entry's JSON, the members only the seq decides: `{"id":"<stream>:<seq>","seq":<seq>,`. */
export function encodeEntryHead(stream: string, seq: number): string {
  return `{"id":"${formatId(stream, seq)}","seq":${seq},`;
}

/**
 * The second half of an entry's JSON, everything after its `seq` member: `"time":…,"level":…}`. A
 * store that assigns seqs elsewhere (the Redis store, in a Lua script) encodes this half beforehand
 * and writes `encodeEntryHead` in front of it once the seq is known. Throws what JSON.stringify throws
 * for fields JSON cannot carry.
 */
export function encodeEntryBody(entry: NewEntry): string {
  let json = `"time":${Number.isFinite(entry.time) ? String(entry.time) : 'null'},"level":${JSON.stringify(entry.level)},"source":${JSON.stringify(
    entry.source,
  )},"msg":${JSON.stringify(entry.msg)}`;
  if (entry.fields !== undefined) json += `,"fields":${JSON.stringify(entry.fields)}`;
  if (entry.invalidUtf8) json += ',"invalidUtf8":true';
  if (entry.part !== undefined) json += `,"part":${JSON.stringify(entry.part)}`;
  return escapeUnicodeBreaks(`${json}}`);
}

const UNICODE_BREAK = /[\u0085\u2028\u2029]/;
const UNICODE_BREAKS = /[\u0085\u2028\u2029]/g;

/**
 * `json` with U+0085, U+2028 and U+2029 written as `\uXXXX` escapes (the same JSON value). JSON.stringify
 * leaves them raw, and SSE does not end lines at them, but readers that split decoded text with
 * Unicode's line breaks do: Python's `str.splitlines()` (requests' `iter_lines(decode_unicode=True)`)
 * cut such an entry's `data:` line in two, and it could not be parsed. Escaped, its bytes hold none.
 */
export function escapeUnicodeBreaks(json: string): string {
  if (!UNICODE_BREAK.test(json)) return json;
  return json.replace(UNICODE_BREAKS, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
