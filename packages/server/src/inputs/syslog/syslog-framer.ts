import { LivelogError } from '@livelog/core';

/** What the framer hands on: a whole frame, or a frame it had to skip. */
export interface FramerSink {
  frame(bytes: Buffer): void;
  skipped(error: LivelogError): void;
}

const LF = 0x0a;
/** MSG-LEN of RFC 6587 has no stated maximum; 10 digits is far past any line limit. */
const MAX_LENGTH_DIGITS = 10;

/**
 * Cuts a TCP byte stream into syslog frames as RFC 6587 describes, deciding per frame as rsyslog
 * and syslog-ng do: a frame starting with a digit is octet-counted (`MSG-LEN SP MSG`, a trailing LF
 * or CR LF inside the count dropped), any other is newline-terminated (a trailing CR is dropped).
 * A frame longer than `maxFrameBytes` is skipped whole (octet-counted: exactly its length; newline:
 * up to the next LF), so the stream stays in step and the connection stays usable; a malformed
 * count skips to the next LF.
 */
export class SyslogFramer {
  readonly #sink: FramerSink;
  readonly #max: number;
  #buffer: Buffer = Buffer.alloc(0);
  /** Bytes still to drop of an oversized octet-counted frame. */
  #skipBytes = 0;
  /** Dropping an oversized or malformed frame up to its LF. */
  #skipLine = false;

  constructor(sink: FramerSink, maxFrameBytes: number) {
    this.#sink = sink;
    this.#max = maxFrameBytes;
  }

  /** Bytes held waiting for the rest of a frame. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /**
   * The peer is done sending (`aborted`: the connection broke instead, a reset or an error). A last
   * newline-less line of an orderly close is a frame; anything else held is a frame cut short by
   * the close (the rest of an octet-counted frame, or a line whose sender broke off), skipped as
   * LIVELOG_ERR_SYSLOG_BAD_FRAME so that it is counted and logged like every skipped frame.
   */
  finish(aborted: boolean): void {
    if (this.#buffer.length === 0) return;
    const held = this.#buffer;
    const first = held[0] as number;
    if (!aborted && !(first >= 0x30 && first <= 0x39)) {
      this.push(Buffer.from('\n'));
      return;
    }
    this.#buffer = Buffer.alloc(0);
    this.#sink.skipped(
      new LivelogError(
        'LIVELOG_ERR_SYSLOG_BAD_FRAME',
        `the connection ${aborted ? 'broke' : 'closed'} inside a syslog frame, after ${held.length} bytes of it; ${JSON.stringify(held.toString('latin1', 0, 24))}… is not stored`,
      ),
    );
  }

  push(chunk: Buffer): void {
    const data = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    let at = 0;
    for (;;) {
      if (this.#skipBytes > 0) {
        const take = Math.min(this.#skipBytes, data.length - at);
        this.#skipBytes -= take;
        at += take;
        if (this.#skipBytes > 0) break;
        continue;
      }
      if (this.#skipLine) {
        const lf = data.indexOf(LF, at);
        if (lf < 0) {
          at = data.length;
          break;
        }
        this.#skipLine = false;
        at = lf + 1;
        continue;
      }
      if (at >= data.length) break;
      const first = data[at] as number;
      if (first >= 0x30 && first <= 0x39) {
        const space = data.indexOf(0x20, at);
        const digits = (space < 0 ? data.length : space) - at;
        if (space < 0 && digits <= MAX_LENGTH_DIGITS) break;
        const length = digits > MAX_LENGTH_DIGITS ? Number.NaN : Number(data.toString('latin1', at, space));
        if (!Number.isSafeInteger(length) || length < 1 || !/^[1-9]\d*$/.test(data.toString('latin1', at, space))) {
          this.#sink.skipped(
            new LivelogError(
              'LIVELOG_ERR_SYSLOG_BAD_FRAME',
              `an octet-counted syslog frame starts with a length of 1 to ${MAX_LENGTH_DIGITS} digits and a space; got ${JSON.stringify(data.toString('latin1', at, Math.min(at + 16, data.length)))}`,
            ),
          );
          this.#skipLine = true;
          continue;
        }
        const start = space + 1;
        if (length > this.#max) {
          this.#sink.skipped(
            new LivelogError(
              'LIVELOG_ERR_SYSLOG_FRAME_TOO_LONG',
              `a syslog frame of ${length} bytes is longer than the line limit of ${this.#max}`,
            ),
          );
          at = start;
          this.#skipBytes = length;
          continue;
        }
        if (data.length - start < length) break;
        // syslog-ng's syslog() destination ends MSG with LF inside the counted frame; rsyslog drops a
        // trailing LF on reception (parser.dropTrailingLFOnReception), and so does livelog: CR LF too.
        let end = start + length;
        if (end > start && data[end - 1] === LF) {
          end--;
          if (end > start && data[end - 1] === 0x0d) end--;
        }
        if (end > start) this.#sink.frame(data.subarray(start, end));
        at = start + length;
        continue;
      }
      const lf = data.indexOf(LF, at);
      if (lf < 0) {
        if (data.length - at > this.#max) {
          this.#sink.skipped(
            new LivelogError('LIVELOG_ERR_SYSLOG_FRAME_TOO_LONG', `a syslog line is longer than the line limit of ${this.#max} bytes`),
          );
          this.#skipLine = true;
          at = data.length;
        }
        break;
      }
      const end = lf > at && data[lf - 1] === 0x0d ? lf - 1 : lf;
      if (end - at > this.#max) {
        this.#sink.skipped(
          new LivelogError(
            'LIVELOG_ERR_SYSLOG_FRAME_TOO_LONG',
            `a syslog line of ${end - at} bytes is longer than the line limit of ${this.#max}`,
          ),
        );
        at = lf + 1;
        continue;
      }
      // Blank lines between frames (some senders end frames with CRLF or send keep-alive newlines) are no messages.
      if (end > at) this.#sink.frame(data.subarray(at, end));
      at = lf + 1;
    }
    // Copied out: a frame's view into `data` must not pin the whole chunk, nor change under it.
    this.#buffer = at >= data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(at));
  }
}
