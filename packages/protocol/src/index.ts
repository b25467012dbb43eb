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
  EVENT_NAMES,
  type EventName,
  type GapEvent,
  type HelloEvent,
  type LagEvent,
  type ResetEvent,
  type ResetReason,
} from './events.js';
export { isLevelName, LEVEL_NAMES, LEVELS, type LevelName, levelFromNumber, levelNumber } from './levels.js';
export { parseDuration } from './parse-duration.js';
export { parseSize } from './parse-size.js';
export { parseTime, parseTimePoint } from './parse-time.js';
export type { HistoryPage, IngestReply, SourceSummary, SourcesReply } from './replies.js';
