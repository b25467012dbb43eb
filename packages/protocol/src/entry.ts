import type { LevelName } from './levels.js';

/**
 * One stored log line, as the server sends it in an SSE `data:` field and in history pages.
 *
 * `seq` is assigned by the store: strictly increasing by 1 per stream and never reused, so a gap in
 * the numbers is always a line that retention removed, never one that was skipped.
 */
export interface LogEntry {
  /** `<stream>:<seq>`. Opaque to clients: compare positions with `compareCursor`, not by string. */
  id: string;
  /** Position in the stream, from 1. */
  seq: number;
  /** The producer's time in ms since the epoch when it gave one, else the server's receive time. */
  time: number;
  level: LevelName;
  /** Where the line came from: a process, a service, a file. */
  source: string;
  /** The line's text, byte-exact where JSON can carry it (ANSI escapes, bare CR, NUL, tabs). */
  msg: string;
  /** Any other structured keys of the record. */
  fields?: Record<string, unknown>;
  /** Present when the line held invalid UTF-8, which was replaced with U+FFFD. */
  invalidUtf8?: true;
  /**
   * Present on each part of a line that was longer than the server's message limit and split, in
   * order, into consecutive entries. `index` counts from 1.
   */
  part?: EntryPart;
}

/** Which part of a split line an entry holds. */
export interface EntryPart {
  index: number;
  count: number;
}
