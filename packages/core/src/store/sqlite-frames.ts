import type Database from 'better-sqlite3';
import { SEQ_BITS, SEQ_MASK } from './sqlite-schema.js';

/** A page of entry frames as the reader thread builds it (see LogStore.readFrames), with where each frame starts. */
export interface FrameRead {
  firstSeq: number;
  lastSeq: number;
  count: number;
  frames: Buffer;
  /** offsets[i] is where the frame of firstSeq+i starts; offsets[count] is frames.length. */
  offsets: Uint32Array;
}

/**
 * One entry's SSE frame, `data: <stored JSON>\nid: <prefix>:<seq>\n\n` (the id last: see encodeEvent),
 * in one `concat` whose constant
 * parts are parameters: SQLite evaluates `char(10)` and every literal argument again for each row, which
 * cost ~40 ns an entry (10% of a page).
 */
const FRAME = `concat(@data, json, @head, seq & ${SEQ_MASK}, @end)`;
/** The rowids of stream `@key`, seqs `(@after, @to]`. */
const WINDOW = `seq > ((@key << ${SEQ_BITS}) | @after) AND seq <= ((@key << ${SEQ_BITS}) | @to)`;

/**
 * The frames of a seq window, concatenated by SQLite in the order it scans the rowid range, which is
 * ascending. group_concat's `ORDER BY` would guarantee that order, but it sorts every frame again in
 * a temporary b-tree, which doubled the cost of a page; instead every page's ids are checked (see
 * checkedOffsets) and a page that fails the check is read again with the ORDER BY. The first and last
 * seqs are read from the frames by that check: `MIN(seq)` and `MAX(seq)` cost ~50 ns an entry.
 */
const SCAN_SQL = `SELECT COUNT(*), CAST(group_concat(${FRAME}, '') AS BLOB) FROM entries WHERE ${WINDOW}`;
const SORTED_SQL = `SELECT COUNT(*), CAST(group_concat(${FRAME}, '' ORDER BY seq) AS BLOB) FROM entries WHERE ${WINDOW}`;
/** The first seq after `@after` (`entries.seq` in ORDER BY: see SEQ in sqlite-stream.ts). */
const FIRST_SQL = `SELECT seq & ${SEQ_MASK} FROM entries WHERE seq > ((@key << ${SEQ_BITS}) | @after) AND seq <= ((@key << ${SEQ_BITS}) | ${SEQ_MASK}) ORDER BY entries.seq LIMIT 1`;

type Row = [number, Buffer | null];

/** Prepared statements of the frame reads on one connection. */
export class FrameStatements {
  readonly #scan: Database.Statement;
  readonly #sorted: Database.Statement;
  readonly #first: Database.Statement;
  /** Pages whose scan order failed the check and were read again sorted (`PRAGMA reverse_unordered_selects` does, in a test). */
  resorted = 0;

  constructor(db: Database.Database) {
    this.#scan = db.prepare(SCAN_SQL).raw(true);
    this.#sorted = db.prepare(SORTED_SQL).raw(true);
    this.#first = db.prepare(FIRST_SQL).pluck(true);
  }

  /**
   * Up to `limit` entries of stream `key` after `afterSeq` as frames; undefined when none follows.
   * Seqs are contiguous and retention removes a prefix only, so the `limit` seqs after `afterSeq`
   * hold the page, read as a window of rowids (no LIMIT, no subquery); when retention removed that
   * whole window, the page starts at the first entry left.
   */
  read(key: number, afterSeq: number, limit: number, prefix: string): FrameRead | undefined {
    let after = afterSeq;
    let page = this.#window(key, after, limit, prefix);
    if (page === undefined) {
      const first = this.#first.get({ key, after }) as number | undefined;
      if (first === undefined) return undefined;
      after = first - 1;
      page = this.#window(key, after, limit, prefix);
    }
    return page;
  }

  #window(key: number, after: number, limit: number, prefix: string): FrameRead | undefined {
    const to = Math.min(after + Math.max(1, limit), SEQ_MASK);
    const params = { key, after, to, data: 'data: ', head: `\nid: ${prefix}:`, end: '\n\n' };
    const scanned = this.#scan.get(params) as Row;
    if (scanned[1] === null || scanned[0] === 0) return undefined;
    const page = framePage(scanned, prefix);
    if (page !== undefined) return page;
    this.resorted++;
    const sorted = framePage(this.#sorted.get(params) as Row, prefix);
    if (sorted === undefined) throw new Error(`the frames of seqs after ${after} do not split into their entries`);
    return sorted;
  }
}

/** The page of a row of frames whose ids check out (see checkedOffsets). */
function framePage([count, frames]: Row, prefix: string): FrameRead | undefined {
  if (frames === null || count === 0) return undefined;
  const checked = checkedOffsets(frames, count, prefix);
  return checked === undefined ? undefined : { ...checked, count, frames };
}

const LF = 0x0a;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** `data: `: from a frame's start to its JSON. */
const DATA_LINE = 6;

/**
 * Where each of the `count` frames of `frames` starts, and the first and last seq, checking on the way
 * that their ids rise strictly (so that the `count` frames of the page's `count` rows are in seq order,
 * each once); undefined when they do not, or when the frames do not end where the bytes do.
 * A frame is `data: ` JSON `\nid: <prefix>:` seq `\n\n`: JSON text holds no raw line feed, so the
 * first line feed after `data: ` ends the JSON, the seq's digits follow the id's head, and a second
 * line feed right after the one that ends them closes the frame. (Searching for a one-byte line feed,
 * not the two-byte `\n\n`, made the check 3× cheaper.)
 */
export function checkedOffsets(
  frames: Buffer,
  count: number,
  prefix: string,
): { firstSeq: number; lastSeq: number; offsets: Uint32Array } | undefined {
  const offsets = new Uint32Array(count + 1);
  // From the JSON's closing line feed to the seq's first digit.
  const head = Buffer.byteLength(`\nid: ${prefix}:`);
  let firstSeq = 0;
  let previous = -1;
  let position = 0;
  for (let i = 0; i < count; i++) {
    offsets[i] = position;
    const json = frames.indexOf(LF, position + DATA_LINE);
    if (json < 0) return undefined;
    // The digits of the seq, up to the id line's end.
    let seq = 0;
    const digits = json + head;
    let at = digits;
    for (let byte = frames[at]; byte !== LF; byte = frames[++at]) {
      if (byte === undefined || byte < DIGIT_0 || byte > DIGIT_9) return undefined;
      seq = seq * 10 + byte - DIGIT_0;
    }
    if (seq <= previous || at === digits || frames[at + 1] !== LF) return undefined;
    if (i === 0) firstSeq = seq;
    previous = seq;
    position = at + 2;
  }
  if (position !== frames.length) return undefined;
  offsets[count] = position;
  return { firstSeq, lastSeq: previous, offsets };
}
