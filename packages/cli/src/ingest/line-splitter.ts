/** What a line splitter hands over for each line. */
export type LineHandler = (line: Buffer) => void;

/**
 * Cuts a byte stream into lines on LF, byte-exact: one CR right before the LF is part of the line
 * ending (CRLF), any other CR stays in the text. Splitting bytes rather than decoded text is safe
 * because 0x0A never occurs inside a multi-byte UTF-8 character, and it means a character cut
 * between two chunks is never decoded in halves.
 *
 * A line longer than `maxPendingBytes` without a newline (a binary blob, a runaway progress bar) is
 * handed over in pieces of that size, so memory stays bounded; nothing is dropped.
 */
export class LineSplitter {
  readonly #onLine: LineHandler;
  readonly #maxPendingBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(onLine: LineHandler, maxPendingBytes = 8 * 1024 * 1024) {
    this.#onLine = onLine;
    this.#maxPendingBytes = maxPendingBytes;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      if (newline === -1) break;
      if (this.#pendingBytes > 0) {
        this.#pending.push(chunk.subarray(start, newline));
        this.#emit(Buffer.concat(this.#pending));
        this.#pending = [];
        this.#pendingBytes = 0;
      } else {
        this.#emit(chunk.subarray(start, newline));
      }
      start = newline + 1;
    }
    if (start < chunk.length) {
      // Copied: the caller may reuse its buffer once push returns.
      const rest = Buffer.from(chunk.subarray(start));
      this.#pending.push(rest);
      this.#pendingBytes += rest.length;
      if (this.#pendingBytes >= this.#maxPendingBytes) {
        const all = Buffer.concat(this.#pending);
        this.#pending = [];
        this.#pendingBytes = 0;
        let offset = 0;
        for (; offset + this.#maxPendingBytes <= all.length; offset += this.#maxPendingBytes) {
          this.#onLine(all.subarray(offset, offset + this.#maxPendingBytes));
        }
        if (offset < all.length) {
          this.#pending.push(all.subarray(offset));
          this.#pendingBytes = all.length - offset;
        }
      }
    }
  }

  /** Hands over the last line when the stream did not end with a newline. */
  end(): void {
    if (this.#pendingBytes === 0) return;
    const last = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#onLine(last);
  }

  #emit(line: Buffer): void {
    this.#onLine(line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, line.length - 1) : line);
  }
}
