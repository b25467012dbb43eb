import { closeSync } from 'node:fs';
import { type Fingerprint, fingerprintOf, openIfExists, rotatedSiblings, startsWith } from './file-identity.js';
import type { FileMark, FollowedFile } from './followed-file.js';

/** A file next to `file` holding its content up to at least `offset` bytes, under another inode and not `known`: a copy. */
export function findCopy(
  file: { path: string; ino: number; fp: Fingerprint },
  offset: number,
  known: (dev: number, ino: number) => boolean,
): { fd: number; name: string } | undefined {
  for (const name of rotatedSiblings(file.path)) {
    const opened = openIfExists(name);
    if (opened === undefined) continue;
    if (
      opened.stats.ino !== file.ino &&
      opened.stats.size >= offset &&
      startsWith(opened.fd, file.fp) &&
      !known(opened.stats.dev, opened.stats.ino)
    ) {
      return { fd: opened.fd, name };
    }
    closeSync(opened.fd);
  }
  return undefined;
}

/** The file with this inode at `path` or next to it, opened. */
export function findInode(path: string, dev: number, ino: number): { fd: number; name: string } | undefined {
  for (const name of [path, ...rotatedSiblings(path)]) {
    const opened = openIfExists(name);
    if (opened === undefined) continue;
    if (opened.stats.dev === dev && opened.stats.ino === ino) return { fd: opened.fd, name };
    closeSync(opened.fd);
  }
  return undefined;
}

/** The name next to `path` that the file with this inode was renamed to. */
export function renamedTo(path: string, dev: number, ino: number): string | undefined {
  const found = findInode(path, dev, ino);
  if (found === undefined) return undefined;
  closeSync(found.fd);
  return found.name === path ? undefined : found.name;
}

/** Birth times move at the file system's clock tick: a copy made just after a look may seem this much older. */
const BIRTH_SLACK_MS = 20;

/** A file next to a followed path, opened. */
export interface Sibling {
  fd: number;
  name: string;
  dev: number;
  ino: number;
  size: number;
  bornAt: number;
  /** Last written: the order of the content. */
  writtenAt: number;
}

/** Whether a file (open at `fd`) is already read or was read to its end: not a candidate for a copy. */
export type Taken = (dev: number, ino: number, fd: number) => boolean;

/**
 * Non-empty files next to `path` created (by birth time) after `sinceMs` and not `taken`, oldest
 * content first: the copies a copytruncate made while this follower did not look. None where the
 * file system keeps no birth time (then such copies cannot be told from older files).
 *
 * Ordered by when each was last written, not by birth: a file copy-truncated and then renamed away
 * was created before its copy yet holds the later lines (the copy was written once, before the
 * file's refill). Birth only breaks ties.
 */
export function siblingsBornSince(path: string, sinceMs: number, taken: Taken): Sibling[] {
  const found: Sibling[] = [];
  for (const name of rotatedSiblings(path)) {
    const opened = openIfExists(name);
    if (opened === undefined) continue;
    const { dev, ino, size, birthtimeMs, mtimeMs } = opened.stats;
    if (size > 0 && birthtimeMs > 0 && birthtimeMs >= sinceMs - BIRTH_SLACK_MS && !taken(dev, ino, opened.fd)) {
      found.push({ fd: opened.fd, name, dev, ino, size, bornAt: birthtimeMs, writtenAt: mtimeMs });
    } else {
      closeSync(opened.fd);
    }
  }
  return found.sort((a, b) => a.writtenAt - b.writtenAt || a.bornAt - b.bornAt);
}

/**
 * A copy of `file` made after its fingerprint (as of `since`) was taken, holding content the file no
 * longer starts with: the file was copy-truncated before this follower saw what the copy holds (a
 * file first seen empty has an empty fingerprint, which no truncation check can fail).
 */
export function unseenCopy(file: FollowedFile, since: FileMark, taken: Taken): { fd: number; name: string } | undefined {
  let copy: Sibling | undefined;
  for (const sibling of siblingsBornSince(file.path, since.fpTakenAt, taken)) {
    if (copy === undefined && sibling.size >= since.read && startsWith(sibling.fd, since.fp) && !file.continues(sibling.fd)) copy = sibling;
    else closeSync(sibling.fd);
  }
  return copy;
}

/**
 * After a restart, for the file at `fd` that replaced the followed one while livelog was stopped
 * (since `sinceMs`): the files created since and rotated away before livelog saw them (a file
 * renamed when another rotation followed, the copy of a copytruncate), oldest first, to be read
 * before it. One the file still starts like is a plain copy of it: its bytes are read from the file.
 */
export function copiesOfUnseen(path: string, sinceMs: number, fd: number, taken: Taken): Sibling[] {
  const copies: Sibling[] = [];
  for (const sibling of siblingsBornSince(path, sinceMs, taken)) {
    if (startsWith(fd, fingerprintOf(sibling.fd))) closeSync(sibling.fd);
    else copies.push(sibling);
  }
  return copies;
}

/**
 * The generations of `path` copy-truncated away since `sinceMs` after the one known by `fp`: two
 * copytruncates between two looks leave two copies, the first holding the generation read (it is
 * finished from there), the later ones generations never seen. Left out: copies of the generation
 * read (they start like it) and plain copies of what the inode holds now. Oldest content first.
 *
 * Only while the inode is still at `path`: a copytruncate copies the file at the path, so once the
 * inode was renamed away (or is gone), later copies are of the file that replaced it, whose
 * generations come after the inode's new content; those are taken up when the path is scanned.
 */
export function copiesBetween(
  path: string,
  sinceMs: number,
  fp: Fingerprint,
  inode: { fd: number; name: string } | undefined,
  taken: Taken,
): Sibling[] {
  if (inode === undefined || inode.name !== path) return [];
  const inodeFd = inode.fd;
  const found: Sibling[] = [];
  for (const sibling of siblingsBornSince(path, sinceMs, taken)) {
    const ofRead = fp.bytes > 0 && startsWith(sibling.fd, fp);
    const ofNow = startsWith(inodeFd, fingerprintOf(sibling.fd));
    if (ofRead || ofNow) closeSync(sibling.fd);
    else found.push(sibling);
  }
  return found;
}
