const HEAD_END = Buffer.from('\r\n\r\n');
const BLANK = Buffer.from('\n\n');
// An entry frame's data line, its first line (the id line comes last): entry JSON always starts with
// its id. Control events (hello, lag, gap) carry other objects, and JSON escapes every quote inside a
// string, so `data: {"id":"` never matches mid-entry. No leading LF: a scan starts right at a frame.
const ENTRY = Buffer.from('data: {"id":"');
const SEQ = Buffer.from('"seq":');
const SENT = Buffer.from('"sent":');

/** Where latency samples go: µs from an entry's `sent` field to the arrival of its bytes. */
export interface LatencySink {
  fromSeq: number;
  add(us: number): void;
}

/**
 * Counts the entry frames of one SSE response read from a raw socket, and checks that their seqs
 * run contiguously (each exactly once, in order), at the cost of a few native `indexOf` calls per
 * frame. Chunked transfer framing needs no decoding: a server writes whole events per chunk, so chunk
 * size lines only ever sit between events, where nothing is matched.
 */
export class FrameCounter {
  status = 0;
  entries = 0;
  firstSeq = 0;
  lastSeq = 0;
  errors = 0;
  firstError = '';
  /** True once the first whole event (the `hello`) arrived. */
  sawEvent = false;
  readonly #expectFirstSeq: number | undefined;
  readonly #latency: LatencySink | undefined;
  #head: Buffer | undefined = Buffer.alloc(0);
  #tail: Buffer | undefined;
  /** The body text of a non-200 answer, for the error message. */
  #errorBody = '';

  readonly #verify: boolean;

  /**
   * `verify` (default true) checks every frame's seq; without it only the last whole frame of each
   * read is looked at, and the count is derived from the seqs: two native calls per socket read
   * instead of two per frame, so that a thousand readers in one process do not measure themselves.
   */
  constructor(options: { expectFirstSeq?: number; latency?: LatencySink; verify?: boolean } = {}) {
    this.#expectFirstSeq = options.expectFirstSeq;
    this.#latency = options.latency;
    this.#verify = options.verify ?? true;
  }

  feed(chunk: Buffer, arrivedUs: number): void {
    let from = 0;
    if (this.#head !== undefined) {
      const head = Buffer.concat([this.#head, chunk]);
      const end = head.indexOf(HEAD_END);
      if (end < 0) {
        this.#head = head;
        return;
      }
      this.#head = undefined;
      this.status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'))?.[1] ?? 0);
      chunk = head;
      from = end + HEAD_END.length;
      if (this.status !== 200) this.#fail(`HTTP ${this.status}`);
    }
    if (this.status !== 200) {
      this.#errorBody = (this.#errorBody + chunk.subarray(from).toString('utf8')).slice(0, 500);
      this.firstError = `HTTP ${this.status}: ${this.#errorBody}`;
      return;
    }
    const tail = this.#tail;
    if (tail !== undefined) {
      let end: number;
      if (tail[tail.length - 1] === 0x0a && chunk[from] === 0x0a) end = from + 1;
      else {
        const blank = chunk.indexOf(BLANK, from);
        if (blank < 0) {
          this.#tail = Buffer.concat([tail, chunk.subarray(from)]);
          return;
        }
        end = blank + 2;
      }
      const joint = Buffer.concat([tail, chunk.subarray(from, end)]);
      this.#scan(joint, 0, joint.length, arrivedUs);
      this.#tail = undefined;
      from = end;
    }
    const last = chunk.lastIndexOf(BLANK);
    if (last < from) {
      if (from < chunk.length) this.#tail = Buffer.from(chunk.subarray(from));
      return;
    }
    this.#scan(chunk, from, last + 2, arrivedUs);
    // Copied, so that a small partial frame does not pin the whole socket read in memory.
    if (last + 2 < chunk.length) this.#tail = Buffer.from(chunk.subarray(last + 2));
  }

  /** Scans whole events in `buf[from, to)`. */
  #scan(buf: Buffer, from: number, to: number, arrivedUs: number): void {
    this.sawEvent = true;
    if (!this.#verify) {
      const at = buf.lastIndexOf(ENTRY, to - 1);
      if (at < from) return;
      if (this.entries === 0) {
        this.firstSeq = seqAt(buf, buf.indexOf(ENTRY, from));
        this.lastSeq = this.firstSeq - 1;
        if (this.#expectFirstSeq !== undefined && this.firstSeq !== this.#expectFirstSeq) {
          this.#fail(`first seq ${this.firstSeq}, expected ${this.#expectFirstSeq}`);
        }
      }
      const seq = seqAt(buf, at);
      if (seq <= this.lastSeq) this.#fail(`seq ${seq} after ${this.lastSeq}`);
      this.lastSeq = seq;
      this.entries = seq - this.firstSeq + 1;
      return;
    }
    let at = buf.indexOf(ENTRY, from);
    while (at !== -1 && at < to) {
      let p = buf.indexOf(SEQ, at + ENTRY.length) + SEQ.length;
      let seq = 0;
      for (let c = buf[p] as number; c >= 0x30 && c <= 0x39; c = buf[++p] as number) seq = seq * 10 + c - 0x30;
      if (this.entries === 0) {
        this.firstSeq = seq;
        if (this.#expectFirstSeq !== undefined && seq !== this.#expectFirstSeq)
          this.#fail(`first seq ${seq}, expected ${this.#expectFirstSeq}`);
      } else if (seq !== this.lastSeq + 1) {
        this.#fail(`seq ${seq} after ${this.lastSeq}`);
      }
      this.lastSeq = seq;
      this.entries++;
      const latency = this.#latency;
      if (latency !== undefined && seq >= latency.fromSeq) {
        let q = buf.indexOf(SENT, p);
        if (q !== -1 && q < to) {
          q += SENT.length;
          let sent = 0;
          for (let c = buf[q] as number; c >= 0x30 && c <= 0x39; c = buf[++q] as number) sent = sent * 10 + c - 0x30;
          latency.add(arrivedUs - sent);
        }
      }
      at = buf.indexOf(ENTRY, p);
    }
  }

  #fail(message: string): void {
    this.errors++;
    if (this.firstError === '') this.firstError = message;
  }
}

/** The seq of the entry frame whose data line starts at `at`. */
function seqAt(buf: Buffer, at: number): number {
  let p = buf.indexOf(SEQ, at + ENTRY.length) + SEQ.length;
  let seq = 0;
  for (let c = buf[p] as number; c >= 0x30 && c <= 0x39; c = buf[++p] as number) seq = seq * 10 + c - 0x30;
  return seq;
}
