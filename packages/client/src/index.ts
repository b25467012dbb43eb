// Public surface of @livelog/client: a plain list of re-exports, one line per module, so other
// parts of the package (stream reader, history, shipper) can be appended without touching the rest.

export { type CursorStorage, createCursorStorage, type PersistOptions } from './browser/cursor-storage.js';
export type { ShareOptions } from './browser/tab-share.js';
export { CLIENT_ERROR_CODES, type ClientErrorCode, type ClientErrorDetails, isLivelogClientError, LivelogClientError } from './errors.js';
export { type FetchSourcesOptions, fetchSources, type SourceSummary } from './fetch-sources.js';
export {
  type ContextReply,
  type FetchContextOptions,
  type FetchHistoryOptions,
  fetchContext,
  fetchHistory,
  type HistoryPage,
} from './history.js';
export type { ServerOptions, StreamFilter } from './http-request.js';
export { LogStream, openStream } from './open-stream.js';
export { BACKOFF_DEFAULTS, type BackoffOptions, backoffCeiling } from './reconnect.js';
export { createKeyedBatchSender, type KeyedBatchOutcome, type KeyedBatchSender } from './shipper/keyed-batch-sender.js';
export type { LogRecord } from './shipper/log-record.js';
export { createShipper, type FlushOptions, type Shipper } from './shipper/shipper.js';
export type { ShipperEventMap, ShipperEventName, ShipperRejection } from './shipper/shipper-events.js';
export { type RetryOptions, SHIPPER_DEFAULTS, type ShipperOptions } from './shipper/shipper-options.js';
export type { ShipperReport } from './shipper/shipper-report.js';
export type { RecoveredFrame, ShipperSpool, SpoolFrame, SpoolRef } from './shipper/shipper-spool.js';
export { SseDecoder, type SseDecoderHandlers, type SseEvent } from './sse/sse-decoder.js';
export {
  deleteStream,
  type EndInfo,
  type EndStreamOptions,
  type EndStreamReply,
  endStream,
  fetchStreamInfo,
  type ListStreamsQuery,
  listStreams,
  type RequestOptions,
  type SetStreamOptions,
  type StreamInfo,
  type StreamList,
  setStream,
} from './stream-admin.js';
export type { IterateOptions } from './stream-iterator.js';
export type { OpenStreamOptions, StreamStart } from './stream-options.js';
export type { StreamStats } from './stream-stats.js';
export type { StreamEventMap, StreamState, StreamStatus } from './stream-status.js';
export type { Listener } from './typed-emitter.js';
export { CLIENT_VERSION } from './version.js';
