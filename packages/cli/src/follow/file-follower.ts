import { closeSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { KeyedBatchSender } from '@livelog/client';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { FINGERPRINT_BYTES, openIfExists, startsWith } from './file-identity.js';
import { type Checkpoint, readCheckpoint, writeCheckpoint } from './follow-checkpoint.js';
import { type FileMark, FollowedFile, type LineBatch } from './followed-file.js';
import { refusal } from './refusal.js';
import { inflightBatch, reopenSaved } from './reopen-saved.js';
import { copiesBetween, copiesOfUnseen, findCopy, findInode, renamedTo, unseenCopy } from './rotated-files.js';

/** Options of a FileFollower. */
export interface FileFollowerOptions {
  /** Paths and glob patterns. */
  patterns: readonly string[];
  checkpointPath: string;
  /** Files found at the first start (no checkpoint) are read from their start, not their end. */
  fromStart: boolean;
  /** Stop once every file is read to its end and acknowledged, instead of following. */
  once: boolean;
  /** A sender for the lines of `path` (one per followed path: the source may differ). */
  senderFor(path: string): KeyedBatchSender;
  /** The NDJSON body of a batch's bytes; `readAt` is the time of lines that state none. */
  encode(bytes: Buffer, flushPartial: boolean, readAt: number): string;
  say(text: string): void;
  /** How often files are checked for growth when idle. Defaults to 100 ms. */
  pollMs?: number;
  /** How long a file replaced at its path is still read before the new one takes over. Defaults to 1 s. */
  rotateWaitMs?: number;
  /**
   * For tests: called in every look after the files are checked for rotation and copies, before any
   * is read, to change them in that window (where a follower descheduled would be). Unset by the CLI.
   */
  beforeRead?(): void;
}

/** Identities of generations finished, remembered so a rotated name matched by a glob is not read again. */
const FINISHED_KEPT = 256;

/**
 * Follows files like `tail -F` and ships their lines with a checkpoint, so that a restart resumes
 * exactly. Rotation by rename (the old file is read to its end, then the new one from its start),
 * by copytruncate (the rest of the old content is read from the copy, found by its fingerprint next
 * to the file), and truncation or replacement while stopped are all told apart by inode and by a
 * fingerprint of the first 256 bytes. One batch is in flight at a time; the next is read and encoded
 * meanwhile.
 */
export class FileFollower {
  readonly #options: FileFollowerOptions;
  #files: FollowedFile[] = [];
  #finished: Checkpoint['files'][number][] = [];
  #inflight: LineBatch | undefined;
  #journal: Checkpoint['journal'];
  #firstScan = true;
  #resumed = false;
  /** When the checkpoint taken up was written, and when the files were last scanned: what was created after, was never seen. */
  #downSince = 0;
  #lookedAt = 0;
  #cursor = 0;

  constructor(options: FileFollowerOptions) {
    this.#options = options;
  }

  /** Follows until `signal` aborts (or, with `once`, until everything is shipped). Resolves with the batches sent and refused. */
  async run(signal: AbortSignal): Promise<{ batches: number; rejected: number }> {
    let batches = 0;
    let rejected = 0;
    const resend = this.#resume();
    // Scanned first: a file rotated while the batch below is re-sent is known by its content already.
    this.#scan();
    // Written at once: the files found are remembered from now on, even if nothing is sent before a crash.
    this.#save();
    if (resend !== undefined) {
      const outcome = await this.#watching(this.#send(resend, signal));
      if (outcome === 'rejected') rejected++;
      if (outcome !== undefined) batches++;
    }
    let sending: Promise<'acknowledged' | 'rejected' | undefined> | undefined;
    let lastScan = Date.now();
    while (!signal.aborted) {
      if (Date.now() - lastScan > 100) {
        this.#scan();
        lastScan = Date.now();
      }
      const batch = this.#take();
      if (batch === undefined) {
        if (sending !== undefined) {
          if ((await this.#watching(sending)) === 'rejected') rejected++;
          sending = undefined;
          continue;
        }
        this.#scan();
        lastScan = Date.now();
        if (this.#options.once && !this.#files.some((file) => !file.done && file.unread() > 0)) break;
        await sleep(this.#options.pollMs ?? 100, signal);
        continue;
      }
      if (sending !== undefined && (await this.#watching(sending)) === 'rejected') rejected++;
      if (signal.aborted) break;
      batches++;
      sending = this.#send(batch, signal);
    }
    if (sending !== undefined && (await this.#watching(sending)) === 'rejected') rejected++;
    this.#save();
    for (const file of this.#files) if (!file.done) file.close();
    return { batches, rejected };
  }

  /** Sends one batch (its range noted in the checkpoint first); moves the acknowledged offset. */
  async #send(batch: LineBatch, signal: AbortSignal): Promise<'acknowledged' | 'rejected' | undefined> {
    const body = this.#options.encode(batch.bytes, batch.end === batch.file.read && batch.file.retiring, batch.readAt);
    this.#inflight = batch;
    this.#save();
    const outcome = await this.#options.senderFor(batch.file.path).send(batch.key, body, signal);
    if (outcome === undefined) return undefined;
    const result = outcome.kind === 'rejected' ? refusal(batch, outcome, this.#options.say) : 'acknowledged';
    batch.file.acked = batch.end;
    this.#inflight = undefined;
    this.#save();
    return result;
  }

  /** Waits for `sending`, meanwhile keeping the fingerprints of files not yet read up to date. */
  async #watching<T>(sending: Promise<T>): Promise<T> {
    // A file rotated while the server is slow must be known (and checkpointed) before it is rotated again.
    const timer = setInterval(() => {
      for (const file of this.#files) this.#refresh(file);
      this.#scan();
    }, 100);
    try {
      return await sending;
    } finally {
      clearInterval(timer);
    }
  }

  /** The next batch, from the oldest unfinished generation of each path in turn. */
  #take(): LineBatch | undefined {
    for (const file of this.#files) this.#refresh(file);
    this.#options.beforeRead?.();
    const heads = new Map<string, FollowedFile>();
    for (const file of this.#files) if (!file.done && !heads.has(file.path)) heads.set(file.path, file);
    const order = [...heads.values()];
    for (let i = 0; i < order.length; i++) {
      const file = order[(this.#cursor + i) % order.length] as FollowedFile;
      const newer = this.#files.find((other) => other !== file && other.path === file.path && !other.done);
      // A replaced file is read until the new one has content (its writer moved on) or a moment passed.
      const finishing =
        file.retiring && (newer === undefined || newer.unread() > 0 || Date.now() - file.retiredAt > (this.#options.rotateWaitMs ?? 1000));
      const before = file.mark();
      const batch = file.nextBatch(finishing);
      // Looked at again after the read (a line or not): a file seen empty (no fingerprint to fail), filled,
      // copy-truncated and refilled since #refresh looked, had its refill read; the copy holds the lines before.
      if (this.#copiedUnseen(file, before)) return this.#take();
      if (batch !== undefined) {
        this.#cursor = (this.#cursor + i + 1) % order.length;
        return batch;
      }
      // A file rotated away by rename can be truncated in turn: it is the generation read, retiring or not.
      if (file.truncated()) {
        this.#truncated(file);
        return this.#take();
      }
      if (finishing && file.unread() === 0 && file.acked === file.read && this.#inflight?.file !== file) this.#finish(file);
    }
    return undefined;
  }

  /** Grows `file`'s fingerprint, unless a copy made since the last look shows it was copy-truncated unseen (`evenRetiring`: also once replaced at its path). */
  #refresh(file: FollowedFile, evenRetiring = false): void {
    // Grown first, looked after: a copytruncate in between is seen now, not hidden by a fingerprint of the refill.
    const before = file.mark();
    file.refreshFingerprint();
    this.#copiedUnseen(file, before, evenRetiring);
  }

  /**
   * Whether `file` was copy-truncated unseen since `before` (a mark taken before its last read or
   * fingerprint): a copy made since holds what it no longer starts with. Then it goes back to
   * `before` and is finished from the copy, before what it holds now.
   */
  #copiedUnseen(file: FollowedFile, before: FileMark, evenRetiring = false): boolean {
    const unseen =
      !file.done &&
      (evenRetiring || !file.retiring) &&
      file.readsItself &&
      before.fp.bytes < FINGERPRINT_BYTES &&
      file.size() > before.fp.bytes;
    const copy = unseen ? unseenCopy(file, before, (dev, ino, fd) => this.#taken(dev, ino, fd)) : undefined;
    if (copy === undefined) return false;
    file.rewind(before);
    this.#truncated(file, copy);
    return true;
  }

  /**
   * `file` was truncated (or overwritten) under its read position: finish it from a copy, then read
   * the generations copy-truncated away since it was last seen whole, then the inode's new content.
   * All go right after `file`: before a file that replaced it at its path.
   */
  #truncated(file: FollowedFile, copy = findCopy(file, file.read, (dev, ino) => this.#known(dev, ino))): void {
    const since = file.intactAt;
    // The inode holds what was written since the truncation, wherever it is now: a new generation.
    const reopened = findInode(file.path, file.dev, file.ino);
    if (copy !== undefined) {
      file.readFrom(copy.fd, copy.name);
    } else {
      this.#options.say(
        `${file.name} was truncated at ${file.read} bytes and no copy of it is next to it; what was written after that offset before the truncation is lost`,
      );
      file.endHere();
    }
    const next: FollowedFile[] = [];
    const taken = (dev: number, ino: number, fd: number): boolean => this.#taken(dev, ino, fd);
    for (const between of copiesBetween(file.path, since, file.fp, reopened, taken)) {
      next.push(FollowedFile.rotatedAway(file.path, between));
      this.#options.say(`${between.name} was copy-truncated from ${file.path} before livelog looked: read after ${file.name}`);
    }
    if (reopened !== undefined) {
      const inode = new FollowedFile({ path: file.path, name: reopened.name, fd: reopened.fd, dev: file.dev, ino: file.ino, offset: 0 });
      if (reopened.name !== file.path) inode.retire();
      next.push(inode);
    }
    this.#files.splice(this.#files.indexOf(file) + 1, 0, ...next);
  }

  #finish(file: FollowedFile): void {
    file.close();
    this.#finished.push({ ...file.identity(), path: file.path, name: file.name, offset: file.acked });
    // Read from a copy: the copy is known by its own inode, or a glob matching its name would read it again.
    if (file.source.ino !== file.ino || file.source.dev !== file.dev)
      this.#finished.push({ ...file.identity(), ...file.source, path: file.path, name: file.name, offset: file.acked });
    while (this.#finished.length > FINISHED_KEPT) this.#finished.shift();
    this.#files = this.#files.filter((other) => other !== file);
    this.#save();
  }

  #known(dev: number, ino: number): boolean {
    return this.#files.some((file) => file.dev === dev && file.ino === ino && !file.done);
  }

  /** A file followed (or read as a copy) now, or read to its end before. */
  #taken(dev: number, ino: number, fd: number): boolean {
    if (
      this.#files.some(
        (file) => !file.done && ((file.dev === dev && file.ino === ino) || (file.source.dev === dev && file.source.ino === ino)),
      )
    ) {
      return true;
    }
    return this.#finished.some((file) => file.dev === dev && file.ino === ino && startsWith(fd, { hash: file.fp, bytes: file.fpBytes }));
  }

  /** Finds new files and files replaced at their path. */
  #scan(): void {
    const known = this.#files.length;
    const retiring = this.#files.filter((file) => file.retiring).length;
    this.#scanPaths();
    // New files and rotations go to the checkpoint at once: a crash must not forget them.
    if (this.#files.length !== known || this.#files.filter((file) => file.retiring).length !== retiring) this.#save();
  }

  #scanPaths(): void {
    const paths = new Set<string>();
    for (const pattern of this.#options.patterns) {
      if (isDynamicPattern(pattern)) for (const path of globSync(pattern, { absolute: true, onlyFiles: true })) paths.add(path);
      else paths.add(resolve(pattern));
    }
    const first = this.#firstScan;
    this.#firstScan = false;
    const since = first ? this.#downSince : this.#lookedAt;
    this.#lookedAt = Date.now();
    for (const path of paths) {
      const opened = openIfExists(path);
      if (opened === undefined) continue;
      const { dev, ino, size } = opened.stats;
      const current = this.#files.findLast((file) => file.path === path && !file.done);
      const same = this.#files.find(
        (file) => file.dev === dev && file.ino === ino && !file.done && (file === current || file.path !== path),
      );
      // Followed under another path already: a rotated name that a glob matches too.
      if (same !== undefined && same !== current) {
        closeSync(opened.fd);
        continue;
      }
      // The file followed here: its growth, and a truncation under the read position, are seen where it is read.
      // Only a generation already being finished (from its copy) leaves the inode's new content to a new one.
      if (same !== undefined && !same.retiring) {
        closeSync(opened.fd);
        continue;
      }
      const finished = this.#finished.some(
        (file) => file.dev === dev && file.ino === ino && startsWith(opened.fd, { hash: file.fp, bytes: file.fpBytes }),
      );
      const copyOfKnown = current === undefined && this.#files.some((file) => file.fp.bytes > 0 && startsWith(opened.fd, file.fp));
      if (finished || copyOfKnown) {
        closeSync(opened.fd);
        continue;
      }
      if (current !== undefined) {
        // Copy-truncated before it was replaced, unseen: its copy (what it held first) is read before what
        // the inode holds now, and both before the generations rotated away after it and the new file.
        if (current.readsItself && current.truncated()) this.#truncated(current);
        else this.#refresh(current, true);
        current.retire();
      }
      // Replaced: files rotated away since the last look (by rename or copytruncate), never read, come first.
      if (current !== undefined || (first && this.#resumed)) this.#takeUpUnseen(path, opened.fd, since);
      const fromEnd = first && current === undefined && !this.#resumed && !this.#options.fromStart;
      this.#files.push(new FollowedFile({ path, name: path, fd: opened.fd, dev, ino, offset: fromEnd ? size : 0 }));
      if (fromEnd) this.#options.say(`following ${path} from its end (${size} bytes; --from-start to read it whole)`);
    }
    // A rotated file's current name, for messages and the checkpoint.
    for (const file of this.#files)
      if (file.retiring && file.name === file.path) file.name = renamedTo(file.path, file.dev, file.ino) ?? file.name;
  }

  /** Files next to `path` created since `since` and never read: generations of `path` rotated away unseen. */
  #takeUpUnseen(path: string, fd: number, since: number): void {
    const claimed = (dev: number, ino: number, copyFd: number): boolean =>
      this.#taken(dev, ino, copyFd) || this.#files.some((file) => !file.done && file.fp.bytes > 0 && startsWith(copyFd, file.fp));
    for (const copy of copiesOfUnseen(path, since, fd, claimed)) {
      this.#files.push(FollowedFile.rotatedAway(path, copy));
      this.#options.say(`${copy.name} was created and rotated away from ${path} before livelog looked: read first`);
    }
  }

  /** Takes up the files of the checkpoint; returns the batch that was in flight, to be sent again first. */
  #resume(): LineBatch | undefined {
    const checkpoint = readCheckpoint(this.#options.checkpointPath);
    if (checkpoint === undefined) return undefined;
    this.#resumed = true;
    // The last look, not the last save: a save while sending (no look) must not hide what was created since the look.
    const savedAt = statSync(this.#options.checkpointPath).mtimeMs;
    this.#downSince = checkpoint.lookedAt !== undefined && checkpoint.lookedAt > 0 ? Math.min(checkpoint.lookedAt, savedAt) : savedAt;
    this.#journal = checkpoint.journal;
    this.#finished = checkpoint.finished ?? [];
    let resend: LineBatch | undefined;
    // A file the checkpoint names, or a copy of one: not a generation never seen.
    const named = (dev: number, ino: number, fd: number): boolean =>
      this.#taken(dev, ino, fd) ||
      checkpoint.files.some(
        (saved) =>
          (saved.dev === dev && saved.ino === ino) || (saved.fpBytes > 0 && startsWith(fd, { hash: saved.fp, bytes: saved.fpBytes })),
      );
    for (const saved of checkpoint.files) {
      const later = checkpoint.files.some((other) => other !== saved && other.dev === saved.dev && other.ino === saved.ino);
      const [file, ...next] = reopenSaved(saved, {
        downSince: this.#downSince,
        laterGeneration: later,
        known: (dev, ino) => this.#known(dev, ino),
        taken: named,
        say: this.#options.say,
      });
      if (file === undefined) continue;
      this.#files.push(file, ...next);
      resend = inflightBatch(file, saved, checkpoint.inflight) ?? resend;
    }
    return resend;
  }

  #save(): void {
    const checkpoint: Checkpoint = {
      version: 1,
      files: this.#files
        .filter((file) => !file.done)
        .map((file) => ({ ...file.identity(), fpAt: file.fpTakenAt, gen: file.gen, path: file.path, name: file.name, offset: file.acked })),
      finished: this.#finished,
    };
    if (this.#lookedAt > 0) checkpoint.lookedAt = this.#lookedAt;
    const inflight = this.#inflight;
    if (inflight !== undefined) {
      checkpoint.inflight = {
        dev: inflight.file.dev,
        ino: inflight.file.ino,
        fp: inflight.file.fp.hash,
        start: inflight.start,
        end: inflight.end,
        key: inflight.key,
        readAt: inflight.readAt,
      };
    }
    if (this.#journal !== undefined) checkpoint.journal = this.#journal;
    writeCheckpoint(this.#options.checkpointPath, checkpoint);
  }
}

/** Waits `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}
