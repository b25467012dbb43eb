import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync, readSync, type Stats, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Bytes from the start of a file hashed into its fingerprint. */
export const FINGERPRINT_BYTES = 256;

/** A hash of a file's first bytes (fewer while the file is shorter). */
export interface Fingerprint {
  hash: string;
  bytes: number;
}

/** The fingerprint of the first `bytes` bytes of `fd` (fewer when the file is shorter). */
export function fingerprintOf(fd: number, bytes = FINGERPRINT_BYTES): Fingerprint {
  const head = firstBytes(fd, bytes);
  return { hash: hashOf(head), bytes: head.length };
}

/**
 * The fingerprint of `fd` grown past `fp`, from one read: undefined when the file is no longer than
 * `fp` or no longer starts with its bytes. One read, so the bytes it grows by follow those it checked.
 */
export function grownFingerprint(fd: number, fp: Fingerprint): Fingerprint | undefined {
  const head = firstBytes(fd, FINGERPRINT_BYTES);
  if (head.length <= fp.bytes || hashOf(head.subarray(0, fp.bytes)) !== fp.hash) return undefined;
  return { hash: hashOf(head), bytes: head.length };
}

function firstBytes(fd: number, bytes: number): Buffer {
  const buffer = Buffer.alloc(bytes);
  let read = 0;
  while (read < bytes) {
    const n = readSync(fd, buffer, read, bytes - read, read);
    if (n === 0) break;
    read += n;
  }
  return buffer.subarray(0, read);
}

function hashOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 24);
}

/** Whether the file at `fd` still starts with the bytes `fp` was taken of. */
export function startsWith(fd: number, fp: Fingerprint): boolean {
  const now = fingerprintOf(fd, fp.bytes);
  return now.bytes === fp.bytes && now.hash === fp.hash;
}

/** `stat` of a path, undefined when it does not exist (or is not a regular file). */
export function statIfFile(path: string): Stats | undefined {
  try {
    const stats = statSync(path);
    return stats.isFile() ? stats : undefined;
  } catch {
    return undefined;
  }
}

/** Opens `path` for reading; undefined when it is gone. */
export function openIfExists(path: string): { fd: number; stats: Stats } | undefined {
  try {
    const fd = openSync(path, 'r');
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      closeSync(fd);
      return undefined;
    }
    return { fd, stats };
  } catch {
    return undefined;
  }
}

/**
 * Files next to `path` whose names start with its name (`app.log.1`, `app.log-20261205`): where
 * rotation puts a file, by rename or by copy. Compressed ones are left out: their bytes are not the
 * file's.
 */
export function rotatedSiblings(path: string): string[] {
  const name = basename(path);
  try {
    return readdirSync(dirname(path))
      .filter((entry) => entry !== name && entry.startsWith(name) && !/\.(gz|bz2|xz|zst|zip)$/.test(entry))
      .map((entry) => join(dirname(path), entry));
  } catch {
    return [];
  }
}
