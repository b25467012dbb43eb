import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** What is remembered of one followed file. */
export interface FileCheckpoint {
  /** The followed path (a rotated file keeps the path it was followed under). */
  path: string;
  /** Where the file was last seen (`app.log.1` after a rotation by rename). */
  name: string;
  dev: number;
  ino: number;
  /** Hash of the file's first `fpBytes` bytes: tells a replaced or truncated file from the one read. */
  fp: string;
  fpBytes: number;
  /**
   * When the fingerprint was taken (ms since the epoch): a copy made after it may hold content
   * that was never seen. Absent in older checkpoints (then the checkpoint's mtime stands for it).
   */
  fpAt?: number;
  /** Bytes from the start of the file acknowledged by the server. */
  offset: number;
  /** The generation's name in its batches' keys (see FollowedFile.gen). Absent in older checkpoints: then a new one. */
  gen?: string;
}

/** The batch that was being sent when the checkpoint was written. */
export interface InflightBatch {
  dev: number;
  ino: number;
  fp: string;
  start: number;
  end: number;
  key: string;
  /**
   * When its bytes were read (the time of lines that state none): sent again with this time, the
   * batch has the very body sent before. Absent in older checkpoints.
   */
  readAt?: number;
}

/**
 * The `--checkpoint` file. Offsets move only once the server acknowledged the lines; `inflight`
 * names the one batch on the wire (its exact byte range and Idempotency-Key), so that after a crash
 * that very batch is sent again first: the server stores it once, whether or not it arrived.
 */
export interface Checkpoint {
  version: 1;
  files: FileCheckpoint[];
  inflight?: InflightBatch;
  /** Generations read to their end, so a rotated name a glob matches is not read again. */
  finished?: FileCheckpoint[];
  /**
   * When the files were last scanned (ms since the epoch): what was created next to them after that
   * was never seen. Not the checkpoint's mtime, which a save without a scan (a batch sent) moves on.
   */
  lookedAt?: number;
  /**
   * The pid of the process that wrote this checkpoint: whoever watches a follower (an operator, a
   * test) can tell a checkpoint of the process running now from one a killed process left behind.
   */
  writer?: number;
  /** `--journal`: the `__CURSOR` of the last entry acknowledged. */
  journal?: { cursor: string; inflight?: { after: string | undefined; last: string; key: string } };
}

/** Reads the checkpoint; undefined when the file does not exist. Throws on a file that is not one. */
export function readCheckpoint(path: string): Checkpoint | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const value = JSON.parse(text) as Partial<Checkpoint>;
  if (value.version !== 1 || !Array.isArray(value.files)) throw new Error(`${path} is not a livelog checkpoint (version 1)`);
  return value as Checkpoint;
}

/**
 * Replaces the checkpoint atomically (temp file, rename): a kill at any moment leaves the old one or
 * the new one. Not fsync'ed: it survives a killed process; after a power loss an older checkpoint
 * may come back, and lines after it are sent again (then stored twice, unless their batches match).
 */
export function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify({ ...checkpoint, writer: process.pid }));
  renameSync(temp, path);
}
