import { closeSync } from 'node:fs';
import { FINGERPRINT_BYTES, fingerprintOf, openIfExists, rotatedSiblings, startsWith } from './file-identity.js';
import type { FileCheckpoint, InflightBatch } from './follow-checkpoint.js';
import { FollowedFile, type LineBatch } from './followed-file.js';
import { copiesBetween, findCopy, findInode, type Taken } from './rotated-files.js';

/** What `reopenSaved` needs to know of the follower taking the checkpoint up. */
export interface ReopenContext {
  /** When the checkpoint's follower last looked: what was created next to the file after that was never seen. */
  downSince: number;
  /** The checkpoint names a later generation of the same inode too: the inode's new content is not this entry's to take up. */
  laterGeneration: boolean;
  /** A file followed now (by its own inode). */
  known(dev: number, ino: number): boolean;
  /** A file followed now, read as a copy, read to its end before, or named by the checkpoint. */
  taken: Taken;
  say(text: string): void;
}

/**
 * The file a checkpoint entry names, in the order to read: the same inode and content, else a copy
 * of it, then the generations copy-truncated away since (each copytruncate leaves a copy) and the
 * inode's new content; else nothing (gone, said on stderr).
 */
export function reopenSaved(saved: FileCheckpoint, context: ReopenContext): FollowedFile[] {
  const fp = { hash: saved.fp, bytes: saved.fpBytes };
  for (const name of [saved.name, saved.path, ...rotatedSiblings(saved.path)]) {
    const opened = openIfExists(name);
    if (opened === undefined) continue;
    if (
      opened.stats.dev === saved.dev &&
      opened.stats.ino === saved.ino &&
      startsWith(opened.fd, fp) &&
      opened.stats.size >= saved.offset
    ) {
      const file = new FollowedFile({
        path: saved.path,
        name,
        fd: opened.fd,
        dev: saved.dev,
        ino: saved.ino,
        offset: saved.offset,
        ...(saved.gen === undefined ? {} : { gen: saved.gen }),
        fp,
        fpTakenAt: Math.min(saved.fpAt ?? context.downSince, context.downSince),
        intactAt: context.downSince,
      });
      if (name !== saved.path) file.retire();
      return [file];
    }
    closeSync(opened.fd);
  }
  const copy = findCopy({ path: saved.path, ino: saved.ino, fp }, saved.offset, context.known);
  if (copy !== undefined) {
    const file = new FollowedFile({
      path: saved.path,
      name: copy.name,
      fd: copy.fd,
      dev: saved.dev,
      ino: saved.ino,
      offset: saved.offset,
      ...(saved.gen === undefined ? {} : { gen: saved.gen }),
      // Known by the copy's first bytes from now on: a short fingerprint would match the inode's next content.
      fp: fp.bytes < FINGERPRINT_BYTES ? fingerprintOf(copy.fd) : fp,
    });
    file.retire();
    // The truncated inode holds what was written since, wherever it is now (renamed too, maybe): a new generation.
    if (context.laterGeneration) return [file];
    const inode = findInode(saved.path, saved.dev, saved.ino);
    const files = [file];
    // Copy-truncated again (and again) while stopped: each later copy holds a generation never seen.
    const copyIno = file.source.ino;
    for (const between of copiesBetween(
      saved.path,
      context.downSince,
      file.fp,
      inode,
      (dev, ino, fd) => ino === copyIno || context.taken(dev, ino, fd),
    )) {
      files.push(FollowedFile.rotatedAway(saved.path, between));
      context.say(`${between.name} was copy-truncated from ${saved.path} while livelog was stopped: read after ${copy.name}`);
    }
    if (inode === undefined) return files;
    const next = new FollowedFile({ path: saved.path, name: inode.name, fd: inode.fd, dev: saved.dev, ino: saved.ino, offset: 0 });
    if (inode.name !== saved.path) next.retire();
    files.push(next);
    return files;
  }
  context.say(
    `${saved.name} (followed as ${saved.path}) is gone or was overwritten while livelog was stopped; lines after offset ${saved.offset} of it are lost`,
  );
  return [];
}

/** The batch in flight at the crash, when it was `file`'s (checkpointed as `saved`): read again, to be sent first. */
export function inflightBatch(file: FollowedFile, saved: FileCheckpoint, inflight: InflightBatch | undefined): LineBatch | undefined {
  if (
    inflight === undefined ||
    inflight.dev !== saved.dev ||
    inflight.ino !== saved.ino ||
    inflight.fp !== saved.fp ||
    inflight.start !== saved.offset
  ) {
    return undefined;
  }
  const bytes = file.reread(inflight.start, inflight.end);
  if (bytes === undefined) return undefined;
  file.read = inflight.end;
  return {
    file,
    start: inflight.start,
    end: inflight.end,
    bytes,
    key: inflight.key,
    readAt: inflight.readAt ?? Date.now(),
    ...(inflight.readAt === undefined ? { bodyUnknown: true } : {}),
  };
}
