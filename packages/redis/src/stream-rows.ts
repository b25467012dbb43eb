import type { StoredEntry } from '@livelog/core';

/** One entry of an XRANGE / XREAD reply in RESP2: its id and its flat field list. */
export type RawStreamEntry = [id: string, fields: string[]];

/** An entry read back from the Redis Stream, with the fields history filtering needs. */
export interface StreamRow extends StoredEntry {
  /** Level number (pino scale). */
  level: number;
  source: string;
}

/** The seq of a stream id `<seq>-0`. */
export function seqOfId(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

/** The rows of an XRANGE / XREVRANGE reply, in the reply's order. */
export function toRows(reply: readonly RawStreamEntry[] | null): StreamRow[] {
  if (reply === null) return [];
  return reply.map(([id, fields]) => {
    let json = '';
    let level = 0;
    let source = '';
    for (let i = 0; i < fields.length; i += 2) {
      const value = fields[i + 1] as string;
      if (fields[i] === 'j') json = value;
      else if (fields[i] === 'x') {
        // '<time> <running max time> <level> <source>'; the source may hold spaces, so it is the rest.
        const a = value.indexOf(' ');
        const b = value.indexOf(' ', a + 1);
        const c = value.indexOf(' ', b + 1);
        level = Number(value.slice(b + 1, c));
        source = value.slice(c + 1);
      }
    }
    return { seq: seqOfId(id), json, level, source };
  });
}

/** Only what a reader forwards: the row without the filtering fields. */
export function toStored(row: StreamRow): StoredEntry {
  return { seq: row.seq, json: row.json };
}
