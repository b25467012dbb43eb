/**
 * Follows the bytes of HTTP/1.1 responses as a proxy lets them through and says whether the body so
 * far ends at an SSE event boundary (a blank line), so that a cut can be classed as mid-event. Only
 * what that takes is parsed: the head (for `Content-Length` or chunked), chunk sizes, and the last
 * two body bytes. Hand-written: no npm parser takes a byte stream and reports this position.
 */
export class EventBoundary {
  #state: 'head' | 'size' | 'data' | 'data-end' | 'trailer' | 'length' = 'head';
  #line = '';
  #head = '';
  #remaining = 0;
  /** The last four bytes of response body seen (latin1, enough to compare with CR LF CR LF). */
  #bodyTail = '';
  #bodyBytes = 0;

  /** True when no body byte came yet, or the body so far ends with an empty line (LF LF or CR LF CR LF). */
  get atBoundary(): boolean {
    if (this.#bodyBytes === 0) return true;
    return this.#bodyTail.endsWith('\n\n') || this.#bodyTail === '\r\n\r\n' || this.#bodyTail.endsWith('\r\r');
  }

  /** Body bytes seen so far, over every response of the connection. */
  get bodyBytes(): number {
    return this.#bodyBytes;
  }

  feed(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#state === 'data' || this.#state === 'length') {
        const take = Math.min(this.#remaining, chunk.length - i);
        this.#body(chunk.subarray(i, i + take));
        this.#remaining -= take;
        i += take;
        if (this.#remaining === 0) {
          if (this.#state === 'data') this.#state = 'data-end';
          else this.#state = 'head';
        }
        continue;
      }
      const byte = chunk[i] as number;
      i++;
      if (byte !== 10) {
        this.#line += String.fromCharCode(byte);
        continue;
      }
      const line = this.#line.replace(/\r$/, '');
      this.#line = '';
      this.#onLine(line);
    }
  }

  #onLine(line: string): void {
    if (this.#state === 'head') {
      if (line !== '') {
        this.#head += `${line.toLowerCase()}\n`;
        return;
      }
      const head = this.#head;
      this.#head = '';
      if (/^transfer-encoding:.*chunked/m.test(head)) this.#state = 'size';
      else {
        const length = /^content-length:\s*(\d+)/m.exec(head);
        // Neither: the body runs to the end of the connection (an SSE response may do that).
        this.#remaining = length === null ? Number.POSITIVE_INFINITY : Number(length[1]);
        this.#state = this.#remaining === 0 ? 'head' : 'length';
      }
      return;
    }
    if (this.#state === 'size') {
      const size = Number.parseInt(line, 16);
      if (size === 0) this.#state = 'trailer';
      else if (Number.isFinite(size)) {
        this.#remaining = size;
        this.#state = 'data';
      }
      return;
    }
    // Trailer fields end with an empty line; then the next response's head may follow.
    if (this.#state === 'trailer') {
      if (line === '') this.#state = 'head';
      return;
    }
    // 'data-end': the CRLF after a chunk's data.
    this.#state = 'size';
  }

  #body(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#bodyBytes += bytes.length;
    this.#bodyTail = (this.#bodyTail + bytes.subarray(Math.max(0, bytes.length - 4)).toString('latin1')).slice(-4);
  }
}
