/**
 * The line-ingest part of @livelog/core alone: what a shipper (the `livelog run`/`pipe` commands)
 * needs to read lines as the server will, without loading the broker, the stores and SQLite the
 * main entry brings, which made every CLI command start ~0.15 s slower.
 */
export { isLivelogError, LivelogError, type LivelogErrorDetails } from './errors.js';
export { DEFAULT_INGEST_LIMITS, type IngestLimits, MAX_SOURCE_LENGTH } from './ingest/ingest-limits.js';
export { leadingTimestamp } from './ingest/leading-timestamp.js';
export { parseLevelValue } from './ingest/level-names.js';
export {
  DEFAULT_LINE_GROUP_LIMITS,
  LINE_GROUP_IDLE_MS,
  LineGrouper,
  type LineGrouperOptions,
  type LineGroupHandler,
  type LineGroupLimits,
} from './ingest/line-grouper.js';
export { checkSource } from './ingest/normalize-record.js';
export { recognizeLevel } from './ingest/recognize-level.js';
