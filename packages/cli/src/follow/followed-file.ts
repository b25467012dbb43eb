import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, readSync } from 'node:fs';
import { FINGERPRINT_BYTES, type Fingerprint, fingerprintOf, grownFingerprint, startsWith } from './file-identity.js';

/** Most lines in one batch; the server takes 100,000, fewer keeps each commit short. */
export const MAX_BATCH_LINES = 10_000;
/** Most file bytes read into one batch. A longer line without a newline is cut into pieces this size. */
export const MAX_BATCH_BYTES = 1024 * 1024;

/** A run of whole lines of one file, `[start, end)` in its bytes. */
export interface LineBatch {
  file: FollowedFile;
  start: number;
  end: number;
  bytes: Buffer;
  /** Idempotency-Key: the file's identity and the byte range, the same whenever these bytes are sent. */
  key: string;
  /** When the bytes were read: the time of lines that state none, kept so that a batch sent again has the same body. */
  readAt: number;
  /** Sent again after a restart by a checkpoint that did not keep `readAt`: its body may differ from the one stored. */
  bodyUnknown?: boolean;
}

/** Where reading and fingerprinting a file stand, to go back to (see FollowedFile.rewind). */
export interface FileMark {
  read: number;
  fp: Fingerprint;
  fpTakenAt: number;
  intactAt: number;
}

/**
 * One generation of one followed file: an inode and the content it started with (its
 * fingerprint). A file truncated in place starts a new generation on the same inode; the old one
 * may still be finished from a copy (`readFrom`), as copytruncate leaves one.
 */
export class FollowedFile {
  /** The followed path: rotations keep it, so old and new generations stay in order. */
  readonly path: string;
  /** Where the file was last seen. */
  name: string;
  readonly dev: number;
  readonly ino: number;
  fp: Fingerprint;
  /**
   * Names this generation in its batches' keys: a file truncated and written again with the same
   * first bytes (a fixed banner) has the same inode and fingerprint, and its first batch may have the
   * same byte range; without it, the server would take that batch for the earlier one.
   */
  readonly gen: string;
  /** When `fp` was last taken: a copy made after it may hold content this follower never saw. */
  fpTakenAt: number;
  /** When the file last still held what was read of it: a copytruncate after this made its copy later. */
  intactAt: number;
  /** The inode read from: this file's own, or its copy's (`readFrom`, or a copy taken up at a restart). */
  source: { dev: number; ino: number };
  /** Bytes acknowledged by the server. */
  acked: number;
  /** Bytes read into batches (acknowledged or not). */
  read: number;
  /** Replaced at its path: read to the end, then done. */
  retiring = false;
  retiredAt = 0;
  done = false;
  /** Truncated with no copy to finish from: nothing after `read` can be read of this generation. */
  #ended = false;
  #fd: number;
  /** Where the bytes are read from: the file itself, or a copy of it. */
  #sourceFd: number;

  constructor(init: {
    path: string;
    name: string;
    fd: number;
    dev: number;
    ino: number;
    offset: number;
    fp?: Fingerprint;
    fpTakenAt?: number;
    intactAt?: number;
    /** The generation's name from a checkpoint; a new one otherwise. */
    gen?: string;
  }) {
    this.path = init.path;
    this.name = init.name;
    this.dev = init.dev;
    this.ino = init.ino;
    this.#fd = init.fd;
    this.#sourceFd = init.fd;
    this.acked = init.offset;
    this.read = init.offset;
    this.fp = init.fp ?? fingerprintOf(init.fd);
    this.fpTakenAt = init.fpTakenAt ?? Date.now();
    this.intactAt = init.intactAt ?? Date.now();
    this.gen = init.gen ?? randomBytes(6).toString('hex');
    const stats = fstatSync(init.fd);
    this.source = { dev: stats.dev, ino: stats.ino };
  }

  /** A file rotated away from `path` before it was seen (`name`, opened at `fd`): a generation read whole, then done. */
  static rotatedAway(path: string, found: { name: string; fd: number; dev: number; ino: number }): FollowedFile {
    const file = new FollowedFile({ path, name: found.name, fd: found.fd, dev: found.dev, ino: found.ino, offset: 0 });
    file.retire();
    return file;
  }

  /** True while the bytes come from the file itself, not from a copy of it. */
  get readsItself(): boolean {
    return this.#sourceFd === this.#fd;
  }

  /** The file's size now. */
  size(): number {
    return fstatSync(this.#fd).size;
  }

  /** Whether this file starts with what `copyFd` starts with: then that copy holds nothing this file lost. */
  continues(copyFd: number): boolean {
    return startsWith(this.#fd, fingerprintOf(copyFd));
  }

  /** Continues from a copy of this generation (copytruncate); it is finished from there. */
  readFrom(copyFd: number, copyName: string): void {
    if (this.#sourceFd !== this.#fd) closeSync(this.#sourceFd);
    this.#sourceFd = copyFd;
    const stats = fstatSync(copyFd);
    this.source = { dev: stats.dev, ino: stats.ino };
    this.name = copyName;
    // The copy holds this generation whole: its first bytes identify it better than a short fingerprint
    // taken early (an empty one would match whatever the inode holds next, in a checkpoint too).
    if (this.fp.bytes < FINGERPRINT_BYTES) this.fp = fingerprintOf(copyFd);
    this.retire();
  }

  /** Truncated and no copy found: what it held after `read` is gone; it is finished as it is. */
  endHere(): void {
    this.#ended = true;
    this.retire();
  }

  retire(): void {
    if (this.retiring) return;
    this.retiring = true;
    this.retiredAt = Date.now();
  }

  /** The identity of this generation, for checkpoints and for recognising it under another name. */
  identity(): { dev: number; ino: number; fp: string; fpBytes: number } {
    return { dev: this.dev, ino: this.ino, fp: this.fp.hash, fpBytes: this.fp.bytes };
  }

  /** True when the file was truncated or overwritten under the read position (never for a copy). */
  truncated(): boolean {
    if (this.#sourceFd !== this.#fd || this.#ended) return false;
    const at = Date.now();
    const truncated = fstatSync(this.#fd).size < this.read || !startsWith(this.#fd, this.fp);
    if (!truncated) this.intactAt = at;
    return truncated;
  }

  /** Bytes left to read now. */
  unread(): number {
    if (this.#ended) return 0;
    return Math.max(0, fstatSync(this.#sourceFd).size - this.read);
  }

  /**
   * Lets the fingerprint of a file first seen shorter than FINGERPRINT_BYTES grow with it, as long
   * as it still starts with what was seen. Done often (not only when read): a file truncated before
   * it is read must still be recognisable in its copy. What it grows by may be a refill after a
   * copytruncate: the caller then looks for a copy made since the fingerprint it had (a mark).
   */
  refreshFingerprint(): void {
    if (this.done || this.fp.bytes >= FINGERPRINT_BYTES || this.#sourceFd !== this.#fd) return;
    const at = Date.now();
    const grown = grownFingerprint(this.#fd, this.fp);
    if (grown === undefined) return;
    this.fp = grown;
    this.fpTakenAt = at;
  }

  mark(): FileMark {
    return { read: this.read, fp: this.fp, fpTakenAt: this.fpTakenAt, intactAt: this.intactAt };
  }

  /**
   * Back to `mark`, taken before the last read or fingerprint: what was read or fingerprinted since
   * was a refill after a copytruncate this follower did not see (FileFollower#copiedUnseen).
   */
  rewind(mark: FileMark): void {
    this.read = mark.read;
    this.fp = mark.fp;
    this.fpTakenAt = mark.fpTakenAt;
    this.intactAt = mark.intactAt;
  }

  /**
   * The next batch of whole lines, or undefined when none is complete. `flushPartial`: take a last
   * line that has no newline (the file is finished). Undefined too when the file was truncated
   * under the read position: `truncated()` says so, and the bytes read are not used.
   */
  nextBatch(flushPartial: boolean): LineBatch | undefined {
    if (this.#ended) return undefined;
    this.refreshFingerprint();
    const readAt = Date.now();
    const size = fstatSync(this.#sourceFd).size;
    if (size <= this.read) return undefined;
    const buffer = Buffer.allocUnsafe(Math.min(MAX_BATCH_BYTES, size - this.read));
    let got = 0;
    while (got < buffer.length) {
      const n = readSync(this.#sourceFd, buffer, got, buffer.length - got, this.read + got);
      if (n === 0) break;
      got += n;
    }
    if (got === 0) return undefined;
    // Read first, checked after: bytes read from a file truncated meanwhile are not its bytes.
    if (this.truncated()) return undefined;
    let cut = cutAfterLines(buffer, got, MAX_BATCH_LINES);
    if (cut === 0) {
      if (got === MAX_BATCH_BYTES || flushPartial) cut = got;
      else return undefined;
    }
    const start = this.read;
    this.read += cut;
    return {
      file: this,
      start,
      end: this.read,
      bytes: buffer.subarray(0, cut),
      key: `llf-${this.dev}-${this.ino}-${this.fp.hash.slice(0, 16)}-${this.gen}-${start}-${this.read}`,
      readAt,
    };
  }

  /** Reads `[start, end)` again, to re-send the batch that was in flight at a crash. */
  reread(start: number, end: number): Buffer | undefined {
    const buffer = Buffer.allocUnsafe(end - start);
    let got = 0;
    while (got < buffer.length) {
      const n = readSync(this.#sourceFd, buffer, got, buffer.length - got, start + got);
      if (n === 0) return undefined;
      got += n;
    }
    return buffer;
  }

  close(): void {
    if (this.#sourceFd !== this.#fd) closeSync(this.#sourceFd);
    closeSync(this.#fd);
    this.done = true;
  }
}

/** Bytes up to and including the `maxLines`-th LF, else up to the last LF; 0 when there is none. */
function cutAfterLines(buffer: Buffer, length: number, maxLines: number): number {
  let lines = 0;
  let at = buffer.indexOf(0x0a);
  let cut = 0;
  while (at !== -1 && at < length) {
    cut = at + 1;
    if (++lines === maxLines) break;
    at = buffer.indexOf(0x0a, at + 1);
  }
  return cut;
}
