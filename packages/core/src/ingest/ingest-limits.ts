/** Limits applied to every ingest body. */
export interface IngestLimits {
  /** Longest single line of a body (an NDJSON record or a text line), in bytes. Defaults to 1 MiB. */
  maxLineBytes: number;
  /**
   * Longest message kept as one entry, in UTF-8 bytes. A longer message is split into consecutive
   * entries marked `part: {index, count}`, never truncated. Defaults to 64 KiB.
   */
  maxMessageBytes: number;
  /** Most entries in one batch. Defaults to 100,000. */
  maxEntries: number;
  /** Deepest nesting of objects and arrays in a record. Defaults to 32. */
  maxDepth: number;
  /**
   * How far ahead of the receive time a producer's `time` may be, in ms. A later time is a wrong clock
   * or a bug, and would hold back age retention and `since` (both trust times to grow with positions):
   * the entry gets the receive time, and the time sent is kept in `fields.originalTime`. Defaults to 1 day.
   */
  maxFutureSkewMs: number;
}

export const DEFAULT_INGEST_LIMITS: Readonly<IngestLimits> = {
  maxLineBytes: 1024 * 1024,
  maxMessageBytes: 64 * 1024,
  maxEntries: 100_000,
  maxDepth: 32,
  maxFutureSkewMs: 86_400_000,
};

/** Longest source name, in characters. */
export const MAX_SOURCE_LENGTH = 128;
