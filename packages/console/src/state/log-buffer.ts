import type { GapEvent, LogEntry } from '@livelog/protocol';

/** A place in the log where retention removed lines before this reader got them. */
export interface GapMarker {
  kind: 'gap';
  /** Stable key for the virtual list. */
  key: string;
  fromSeq: number;
  toSeq: number;
  missed: number;
}

/** A loaded line. */
export interface EntryItem {
  kind: 'entry';
  key: number;
  entry: LogEntry;
}

/** What the buffer holds, in stream order. */
export type BufferItem = EntryItem | GapMarker;

let shapes = 0;
const nextShape = (): number => ++shapes;

/** Sort position of an item: gaps sit just before the first seq they name. */
function positionOf(item: BufferItem): number {
  return item.kind === 'entry' ? item.entry.seq : item.fromSeq - 0.5;
}

/**
 * The console's copy of a contiguous stretch of the (server-filtered) stream, in seq order, with gap
 * markers where the server reported lines removed by retention, and the subset that passes the local
 * filter (`rows`), kept in step so a 200,000-line buffer is never refiltered on each batch.
 *
 * "Contiguous" is the invariant every caller keeps: entries arrive from the stream in order after the
 * newest one, or from a history page in order before the oldest one. Anything that would break it (a
 * duplicate or out-of-order seq) is dropped and counted, so a client bug shows up as a number, not as
 * a doubled line.
 */
export class LogBuffer {
  #items: BufferItem[] = [];
  #rows: BufferItem[] = [];
  #match: (entry: LogEntry) => boolean = () => true;
  #entryCount = 0;
  /** Entries dropped because their seq was not after the newest (or before the oldest) one. */
  rejected = 0;
  /** Lines the buffer dropped from its oldest end to stay under its limit, since the last clear. */
  trimmed = 0;
  /**
   * Changes with every change of `rows` other than adding at the end (a prepend, a trim, a new
   * filter, a clear): one that moves rows to other indices. While it stays the same, row N is still
   * row N. Never the same in two buffers, so a view that switched buffers cannot mistake one for the other.
   */
  shape = nextShape();

  /** Everything held, in order. */
  get items(): readonly BufferItem[] {
    return this.#items;
  }

  /** The items that pass the local filter (gap markers always do), in order. */
  get rows(): readonly BufferItem[] {
    return this.#rows;
  }

  /** How many entries are held. */
  get size(): number {
    return this.#entryCount;
  }

  /** Seq of the oldest entry held, or undefined when empty. */
  get firstSeq(): number | undefined {
    for (const item of this.#items) if (item.kind === 'entry') return item.entry.seq;
    return undefined;
  }

  /** The oldest entry held. */
  get first(): LogEntry | undefined {
    for (const item of this.#items) if (item.kind === 'entry') return item.entry;
    return undefined;
  }

  /** The newest entry held. */
  get last(): LogEntry | undefined {
    for (let i = this.#items.length - 1; i >= 0; i--) {
      const item = this.#items[i];
      if (item?.kind === 'entry') return item.entry;
    }
    return undefined;
  }

  /** The loaded entries, oldest first. */
  entries(): LogEntry[] {
    const out: LogEntry[] = [];
    for (const item of this.#items) if (item.kind === 'entry') out.push(item.entry);
    return out;
  }

  /** Replaces the local filter and recomputes `rows`. */
  setMatch(match: (entry: LogEntry) => boolean): void {
    this.#match = match;
    this.#rows = this.#items.filter((item) => item.kind === 'gap' || match(item.entry));
    this.shape = nextShape();
  }

  /** Adds entries newer than every one held (from the stream or a forward history page). Returns how many were kept. */
  append(entries: readonly LogEntry[]): number {
    let last = this.last?.seq ?? Number.NEGATIVE_INFINITY;
    let kept = 0;
    for (const entry of entries) {
      if (entry.seq <= last) {
        this.rejected++;
        continue;
      }
      last = entry.seq;
      const item: EntryItem = { kind: 'entry', key: entry.seq, entry };
      this.#items.push(item);
      if (this.#match(entry)) this.#rows.push(item);
      kept++;
    }
    this.#entryCount += kept;
    return kept;
  }

  /** Adds an older page (ascending) before every entry held. Returns how many were kept. */
  prepend(entries: readonly LogEntry[]): number {
    const first = this.firstSeq ?? Number.POSITIVE_INFINITY;
    const older: BufferItem[] = [];
    let previous = Number.NEGATIVE_INFINITY;
    for (const entry of entries) {
      if (entry.seq >= first || entry.seq <= previous) {
        this.rejected++;
        continue;
      }
      previous = entry.seq;
      older.push({ kind: 'entry', key: entry.seq, entry });
    }
    if (older.length === 0) return 0;
    this.#items = older.concat(this.#items);
    const olderRows = older.filter((item) => item.kind === 'gap' || this.#match(item.entry));
    if (olderRows.length > 0) {
      this.#rows = olderRows.concat(this.#rows);
      this.shape = nextShape();
    }
    this.#entryCount += older.length;
    return older.length;
  }

  /** Marks, after the newest entry, the range the server reported as removed by retention. */
  addGap(gap: Pick<GapEvent, 'fromSeq' | 'toSeq' | 'missed'>): GapMarker {
    const marker: GapMarker = { kind: 'gap', key: `gap:${gap.fromSeq}`, fromSeq: gap.fromSeq, toSeq: gap.toSeq, missed: gap.missed };
    const lastPosition = this.#items.length > 0 ? positionOf(this.#items[this.#items.length - 1] as BufferItem) : Number.NEGATIVE_INFINITY;
    if (positionOf(marker) > lastPosition) {
      this.#items.push(marker);
      this.#rows.push(marker);
    }
    return marker;
  }

  /**
   * Drops the oldest entries (and gap markers among them) until at most `max` entries remain.
   * Returns how many entries were dropped; they stay loadable from the server.
   */
  trimOldest(max: number): number {
    const excess = this.#entryCount - max;
    if (excess <= 0) return 0;
    let dropped = 0;
    let cut = 0;
    while (cut < this.#items.length && dropped < excess) {
      if (this.#items[cut]?.kind === 'entry') dropped++;
      cut++;
    }
    // A gap marker left at the very front would describe lines before the new oldest one: keep it, it is still true.
    const boundary = positionOf(this.#items[cut - 1] as BufferItem);
    this.#items.splice(0, cut);
    let rowCut = 0;
    while (rowCut < this.#rows.length && positionOf(this.#rows[rowCut] as BufferItem) <= boundary) rowCut++;
    this.#rows.splice(0, rowCut);
    if (rowCut > 0) this.shape = nextShape();
    this.#entryCount -= dropped;
    this.trimmed += dropped;
    return dropped;
  }

  /** Drops the newest entries until at most `max` remain (after loading far back into history). */
  trimNewest(max: number): number {
    const excess = this.#entryCount - max;
    if (excess <= 0) return 0;
    let dropped = 0;
    let cut = this.#items.length;
    while (cut > 0 && dropped < excess) {
      cut--;
      if (this.#items[cut]?.kind === 'entry') dropped++;
    }
    const boundary = positionOf(this.#items[cut] as BufferItem);
    this.#items.length = cut;
    let rowCut = this.#rows.length;
    while (rowCut > 0 && positionOf(this.#rows[rowCut - 1] as BufferItem) >= boundary) rowCut--;
    if (rowCut < this.#rows.length) {
      this.#rows.length = rowCut;
      this.shape = nextShape();
    }
    this.#entryCount -= dropped;
    return dropped;
  }

  /** Index in `rows` of the entry with this seq, or -1 (not loaded or filtered out). */
  rowIndexOfSeq(seq: number): number {
    let lo = 0;
    let hi = this.#rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const position = positionOf(this.#rows[mid] as BufferItem);
      if (position === seq) return mid;
      if (position < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Index in `rows` of the newest gap marker, or -1. */
  lastGapIndex(): number {
    for (let index = this.#rows.length - 1; index >= 0; index--) if (this.#rows[index]?.kind === 'gap') return index;
    return -1;
  }

  /** The loaded entry with this seq, filtered out or not. */
  entryBySeq(seq: number): LogEntry | undefined {
    let lo = 0;
    let hi = this.#items.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const item = this.#items[mid] as BufferItem;
      const position = positionOf(item);
      if (position === seq) return item.kind === 'entry' ? item.entry : undefined;
      if (position < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Forgets everything held (a new server-side query or a jump to another place in the log). */
  clear(): void {
    this.#items = [];
    this.#rows = [];
    this.#entryCount = 0;
    this.trimmed = 0;
    this.shape = nextShape();
  }
}
