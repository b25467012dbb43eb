import { formatId, type LogEntry } from '@livelog/protocol';
import { encodeEntryFrame } from '../sse/encode-event.js';
import type { StoredEntry } from '../store/log-store.js';

/**
 * Frames of one appended batch: one buffer, and where each entry's frame starts in it. The ring keeps
 * no JS objects per entry (neither the stored rows nor their JSON strings): objects that live as long
 * as the ring survive young-generation GCs and get copied and promoted, which cost ingest ~10% of its
 * CPU. Filtered readers parse entries back from the frames, once per chunk, on demand.
 */
interface Chunk {
  firstSeq: number;
  lastSeq: number;
  buffer: Buffer;
  /** offsets[i] is where entry firstSeq+i starts; offsets[n] is the buffer's length. */
  offsets: Uint32Array;
  /** Entries parsed for filtered readers, by index in the chunk; created on first use. */
  parsed: (LogEntry | undefined)[] | undefined;
}

/** Bytes of `data: `, of `\nid: ` and of the closing `\n\n` in an entry frame (see encodeEntryFrame). */
const FRAME_DATA_PREFIX = 6;
const FRAME_ID_PREFIX = 5;
const FRAME_END = 2;

function count(chunk: Chunk): number {
  return chunk.lastSeq - chunk.firstSeq + 1;
}

/**
 * The frames of `batch` in one buffer, and where each starts. Log entries are nearly always ASCII, where
 * a frame's bytes are its UTF-16 length: each frame is written straight into a buffer of that size (no
 * byte length asked per frame, no joined string flattened and encoded again), half the cost of the
 * general path, which serves any batch holding a non-ASCII frame.
 */
function encodeFrames(streamId: string, batch: readonly StoredEntry[]): { buffer: Buffer; offsets: Uint32Array } {
  const n = batch.length;
  const offsets = new Uint32Array(n + 1);
  const frames = new Array<string>(n);
  let length = 0;
  for (let i = 0; i < n; i++) {
    const entry = batch[i] as StoredEntry;
    const frame = encodeEntryFrame(formatId(streamId, entry.seq), entry.json);
    frames[i] = frame;
    offsets[i] = length;
    length += frame.length;
  }
  offsets[n] = length;
  const buffer = Buffer.allocUnsafe(length);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const frame = frames[i] as string;
    const written = buffer.write(frame, at);
    at += written;
    // Not ASCII: written whole, the frame took more bytes than its length; cut short by the buffer's end
    // (the frames before it took more, or it is too long for what is left), it lacks its closing blank
    // line, the only `\n\n` in a frame (the JSON is one line). Either way the general path encodes it.
    if (written !== frame.length || buffer[at - 1] !== 0x0a || buffer[at - 2] !== 0x0a) return encodeFramesUtf8(frames);
  }
  return { buffer, offsets };
}

/** The general path of encodeFrames: byte offsets from each frame's UTF-8 length. */
function encodeFramesUtf8(frames: readonly string[]): { buffer: Buffer; offsets: Uint32Array } {
  const offsets = new Uint32Array(frames.length + 1);
  let offset = 0;
  for (let i = 0; i < frames.length; i++) {
    offsets[i] = offset;
    offset += Buffer.byteLength(frames[i] as string);
  }
  offsets[frames.length] = offset;
  return { buffer: Buffer.from(frames.join(''), 'utf8'), offsets };
}

/** Size limits of the ring. */
export interface FrameRingOptions {
  /** Most entries kept. Defaults to 10,000. */
  maxEntries?: number;
  /** Most frame bytes kept. Defaults to 16 MiB. The newest batch is always kept whatever its size. */
  maxBytes?: number;
}

/** What a reader takes from the ring in one go. */
export interface RingSlice {
  /** Buffers to write, in order; views into the ring's buffers, shared by every reader. */
  buffers: Buffer[];
  /** Seq of the last entry looked at, written or skipped. */
  lastSeq: number;
  /** True when the last entry looked at was skipped by the filter, so its id was not written. */
  endsSkipped: boolean;
  /** Entries written. */
  written: number;
}

/**
 * The hot ring: the most recent entries as SSE frames, encoded once per append and shared by every
 * reader. Holds a contiguous range of seqs; a reader whose cursor is older than the ring reads from
 * the store instead.
 */
export class FrameRing {
  readonly #streamId: string;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #chunks: Chunk[] = [];
  #entries = 0;
  #bytes = 0;

  constructor(streamId: string, options: FrameRingOptions = {}) {
    this.#streamId = streamId;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  }

  /** Oldest seq held, or undefined when empty. */
  get firstSeq(): number | undefined {
    return this.#chunks[0]?.firstSeq;
  }

  /** Newest seq held, or undefined when empty. */
  get lastSeq(): number | undefined {
    return this.#chunks[this.#chunks.length - 1]?.lastSeq;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.#entries, bytes: this.#bytes };
  }

  /** True when the frame of `seq` is in the ring. */
  covers(seq: number): boolean {
    const first = this.firstSeq;
    const last = this.lastSeq;
    return first !== undefined && last !== undefined && seq >= first && seq <= last;
  }

  /**
   * Adds appended entries (ascending). Seqs already held are ignored; a batch that does not follow on
   * from the newest seq (notifications were missed) restarts the ring, since it must stay contiguous.
   */
  push(stored: readonly StoredEntry[]): void {
    const last = this.lastSeq;
    let batch = stored;
    if (last !== undefined) {
      batch = stored.filter((entry) => entry.seq > last);
      if (batch.length === 0) return;
      if ((batch[0] as StoredEntry).seq !== last + 1) this.clear();
    }
    if (batch.length === 0) return;
    const { buffer, offsets } = encodeFrames(this.#streamId, batch);
    const chunk: Chunk = {
      firstSeq: (batch[0] as StoredEntry).seq,
      lastSeq: (batch[batch.length - 1] as StoredEntry).seq,
      buffer,
      offsets,
      parsed: undefined,
    };
    this.#chunks.push(chunk);
    this.#entries += batch.length;
    this.#bytes += chunk.buffer.length;
    while (this.#chunks.length > 1 && (this.#entries > this.#maxEntries || this.#bytes > this.#maxBytes)) {
      const dropped = this.#chunks.shift() as Chunk;
      this.#entries -= count(dropped);
      this.#bytes -= dropped.buffer.length;
    }
  }

  /**
   * Forgets every entry before `seq` (retention removed them from the store), so the ring never
   * serves what history no longer has and readers behind it get their gap reported.
   */
  dropBefore(seq: number): void {
    while (this.#chunks.length > 0) {
      const oldest = this.#chunks[0] as Chunk;
      if (oldest.firstSeq >= seq) return;
      this.#chunks.shift();
      this.#entries -= count(oldest);
      this.#bytes -= oldest.buffer.length;
      if (oldest.lastSeq >= seq) {
        const skip = seq - oldest.firstSeq;
        const start = oldest.offsets[skip] as number;
        const kept: Chunk = {
          firstSeq: seq,
          lastSeq: oldest.lastSeq,
          buffer: oldest.buffer.subarray(start),
          offsets: oldest.offsets.subarray(skip).map((offset) => offset - start),
          parsed: oldest.parsed?.slice(skip),
        };
        this.#chunks.unshift(kept);
        this.#entries += count(kept);
        this.#bytes += kept.buffer.length;
        return;
      }
    }
  }

  clear(): void {
    this.#chunks = [];
    this.#entries = 0;
    this.#bytes = 0;
  }

  /**
   * Frames from `fromSeq` on, up to about `maxBytes`, keeping only entries `matches` accepts (all when
   * it is undefined). Returns undefined when `fromSeq` is not in the ring.
   */
  collect(fromSeq: number, maxBytes: number, matches?: (entry: LogEntry) => boolean): RingSlice | undefined {
    let index = this.#chunkIndex(fromSeq);
    if (index < 0) return undefined;
    const buffers: Buffer[] = [];
    let bytes = 0;
    let seq = fromSeq;
    let lastSeq = fromSeq - 1;
    let endsSkipped = false;
    let written = 0;
    while (index < this.#chunks.length && bytes < maxBytes) {
      const chunk = this.#chunks[index] as Chunk;
      let i = seq - chunk.firstSeq;
      const n = count(chunk);
      if (matches === undefined) {
        let end = n;
        // Stop inside the chunk only when the byte budget is hit, and never before one entry.
        if (bytes + ((chunk.offsets[n] as number) - (chunk.offsets[i] as number)) > maxBytes) {
          end = i + 1;
          while (end < n && bytes + ((chunk.offsets[end + 1] as number) - (chunk.offsets[i] as number)) <= maxBytes) end++;
        }
        const view = i === 0 && end === n ? chunk.buffer : chunk.buffer.subarray(chunk.offsets[i], chunk.offsets[end]);
        buffers.push(view);
        bytes += view.length;
        written += end - i;
        lastSeq = chunk.firstSeq + end - 1;
        endsSkipped = false;
        if (end < n) break;
      } else {
        let runStart = -1;
        for (; i < n && bytes < maxBytes; i++) {
          if (matches(this.#entryAt(chunk, i))) {
            if (runStart < 0) runStart = i;
            bytes += (chunk.offsets[i + 1] as number) - (chunk.offsets[i] as number);
            written++;
            endsSkipped = false;
          } else {
            if (runStart >= 0) buffers.push(chunk.buffer.subarray(chunk.offsets[runStart], chunk.offsets[i]));
            runStart = -1;
            endsSkipped = true;
          }
          lastSeq = chunk.firstSeq + i;
        }
        if (runStart >= 0) buffers.push(chunk.buffer.subarray(chunk.offsets[runStart], chunk.offsets[i]));
        if (i < n) break;
      }
      index++;
      seq = lastSeq + 1;
    }
    return { buffers, lastSeq, endsSkipped, written };
  }

  /** The entry at index `i` of `chunk`, parsed from its frame (`data: <json>\nid: <id>\n\n`). */
  #entryAt(chunk: Chunk, i: number): LogEntry {
    chunk.parsed ??= [];
    let entry = chunk.parsed[i];
    if (entry === undefined) {
      // Ids are ASCII (stream ids are [A-Za-z0-9_-]), so the id's length in bytes is its length.
      const start = (chunk.offsets[i] as number) + FRAME_DATA_PREFIX;
      const end = (chunk.offsets[i + 1] as number) - FRAME_END - formatId(this.#streamId, chunk.firstSeq + i).length - FRAME_ID_PREFIX;
      entry = JSON.parse(chunk.buffer.toString('utf8', start, end)) as LogEntry;
      chunk.parsed[i] = entry;
    }
    return entry;
  }

  #chunkIndex(seq: number): number {
    if (!this.covers(seq)) return -1;
    let low = 0;
    let high = this.#chunks.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.#chunks[mid] as Chunk).firstSeq <= seq) low = mid;
      else high = mid - 1;
    }
    return low;
  }
}
