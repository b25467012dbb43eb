export { CLOSE_REASONS, type CloseReason, isRetryableClose } from './close-reasons.js';
export {
  type Cursor,
  compareCursor,
  type DecodedCursor,
  decodeCursor,
  encodeCursor,
  formatId,
  isValidStreamId,
  MAX_CURSOR_LENGTH,
} from './cursor.js';
export type { EntryPart, LogEntry } from './entry.js';
export { ERROR_CODES, type ErrorBody, type ErrorCode, isErrorCode } from './error-codes.js';
export {
  type CloseEvent,
  type EndEvent,
  EVENT_NAMES,
  type EventName,
  type GapEvent,
  type HelloEvent,
  type LagEvent,
  type ResetEvent,
  type ResetReason,
} from './events.js';
export { isLevelName, LEVEL_NAMES, LEVELS, type LevelName, levelFromNumber, levelNumber } from './levels.js';
export { matchEntry, queryTerms, type SearchableEntry, searchableParts } from './match-entry.js';
export { parseDuration } from './parse-duration.js';
export { MAX_FIELD_PATH_SEGMENTS, MAX_QUERY_BYTES, MAX_QUERY_DEPTH, parseQuery, QuerySyntaxError, quoteQueryTerm } from './parse-query.js';
export { parseSize } from './parse-size.js';
export { isDurationTooFarBack, parseTime, parseTimePoint } from './parse-time.js';
export type { QueryComparison, QueryNode } from './query-ast.js';
export type {
  ContextReply,
  EndInfo,
  HistogramBucket,
  HistogramReply,
  HistoryPage,
  IngestReply,
  SeekReply,
  SourceSummary,
  SourcesReply,
  StreamInfo,
  StreamList,
  StreamRetention,
} from './replies.js';
export { joinSourceList, splitSourceList } from './source-list.js';
export {
  DEFAULT_STREAM,
  endProblem,
  isStreamName,
  labelsProblem,
  MAX_END_REASON,
  MAX_STREAM_LABEL_VALUE,
  MAX_STREAM_LABELS,
  STREAM_LABEL_KEY_PATTERN,
  STREAM_NAME_PATTERN,
} from './streams.js';
export { compileUserRegExp } from './user-regexp.js';
