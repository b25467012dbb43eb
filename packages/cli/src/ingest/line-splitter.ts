import { isUtf8 } from 'node:buffer';

/** What a line splitter hands over for each line: its text, and whether its bytes held invalid UTF-8 (replaced with U+FFFD). */
export type LineHandler = (text: string, invalidUtf8: boolean) => void;

/**
 * Cuts a byte stream into lines on LF, byte-exact: one CR right before the LF is part of the line
 * ending (CRLF), any other CR stays in the text. Bytes are cut at the last LF of each chunk before
 * decoding, so a character split between two chunks is never decoded in halves (0x0A never occurs
 * inside a multi-byte UTF-8 character), and all complete lines of a chunk are decoded at once —
 * one decode per chunk instead of one per line.
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
    const last = chunk.lastIndexOf(0x0a);
    if (last === -1) {
      this.#keep(chunk);
      return;
    }
    const complete = this.#pendingBytes > 0 ? Buffer.concat([...this.#pending, chunk.subarray(0, last + 1)]) : chunk.subarray(0, last + 1);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#lines(complete);
    if (last + 1 < chunk.length) this.#keep(chunk.subarray(last + 1));
  }

  /** Hands over the last line when the stream did not end with a newline. */
  end(): void {
    if (this.#pendingBytes === 0) return;
    const last = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#onLine(last.toString('utf8'), !isUtf8(last));
  }

  /** Emits every line of `bytes`, which ends with LF. */
  #lines(bytes: Buffer): void {
    const text = bytes.toString('utf8');
    // Decoding puts U+FFFD where bytes were invalid; only then are lines checked one by one.
    if (text.includes('\ufffd') && !isUtf8(bytes)) {
      let start = 0;
      for (let end = bytes.indexOf(0x0a); end !== -1; end = bytes.indexOf(0x0a, start)) {
        const line = bytes.subarray(start, end > start && bytes[end - 1] === 0x0d ? end - 1 : end);
        this.#onLine(line.toString('utf8'), !isUtf8(line));
        start = end + 1;
      }
      return;
    }
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      this.#onLine(text.slice(start, end > start && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end), false);
      start = end + 1;
    }
  }

  #keep(bytes: Buffer): void {
    // Copied: the caller may reuse its buffer once push returns.
    const copy = Buffer.from(bytes);
    this.#pending.push(copy);
    this.#pendingBytes += copy.length;
    if (this.#pendingBytes < this.#maxPendingBytes) return;
    const all = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    let offset = 0;
    for (; offset + this.#maxPendingBytes <= all.length; offset += this.#maxPendingBytes) {
      const piece = all.subarray(offset, offset + this.#maxPendingBytes);
      this.#onLine(piece.toString('utf8'), !isUtf8(piece));
    }
    if (offset < all.length) {
      this.#pending.push(all.subarray(offset));
      this.#pendingBytes = all.length - offset;
    }
  }
}
