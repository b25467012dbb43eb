export { Broker, type BrokerOptions, type BrokerStats, type SubscribeOptions } from './broker/broker.js';
export { FrameRing, type FrameRingOptions, type RingSlice } from './broker/frame-ring.js';
export { type ResolvedStart, resolveStart, type StartRequest } from './broker/start-position.js';
export { Subscription } from './broker/subscription.js';
export { createEngine, type EngineLog, type EngineOptions, type LivelogEngine } from './engine/create-engine.js';
export { encodeEntry, encodeEntryBody, encodeEntryHead, toLogEntry } from './entry/encode-entry.js';
export { compileFilter, type EntryFilter, isEmptyFilter, textMatches } from './entry/entry-filter.js';
export type { NewEntry } from './entry/new-entry.js';
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
export { checkSource, type EntryDefaults, normalizeRecord } from './ingest/normalize-record.js';
export { type BodyFormat, bodyFormatOf, type ParseBodyOptions, parseBody } from './ingest/parse-body.js';
export { recognizeLevel } from './ingest/recognize-level.js';
export { splitMessage } from './ingest/split-message.js';
export { RetentionPruner, type RetentionPrunerOptions } from './retention/retention-pruner.js';
export { encodeComment, encodeEntryFrame, encodeEvent, encodeIdOnly, type SseEvent } from './sse/encode-event.js';
export type { SseSink } from './sse/sse-sink.js';
export { AppendListeners } from './store/append-listeners.js';
export {
  DEFAULT_SCAN_BUDGET,
  type ScanBudget,
  type SeqWindow,
  scanPage,
  type WindowReader,
  yieldToEventLoop,
} from './store/chunked-scan.js';
export { checkSameBody, digestBody, IDEMPOTENCY_TTL_MS } from './store/idempotency.js';
export { type IdentityChangingStore, type IdentityListener, isIdentityChanging } from './store/identity-changing-store.js';
export type {
  AppendListener,
  AppendOptions,
  AppendResult,
  HealthCheckedStore,
  LogStore,
  ReadPage,
  ReadQuery,
  RetentionPolicy,
  SourceInfo,
  StoreBounds,
  StoredEntry,
} from './store/log-store.js';
export { isHealthChecked, resumeOf } from './store/log-store.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export { SqliteStore, type SqliteStoreOptions } from './store/sqlite-store.js';
export { createStoreFromUrl, type StoreProvider } from './store/store-provider.js';
export { createStreamId } from './store/stream-id.js';
