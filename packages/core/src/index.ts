export { Broker, type BrokerOptions, type BrokerStats, type SubscribeOptions } from './broker/broker.js';
export { retentionGap } from './broker/catch-up-events.js';
export { FrameRing, type FrameRingOptions, type RingSlice } from './broker/frame-ring.js';
export { frameOffsets, PageCache, type PageCacheOptions, type PageCacheStats, StreamPages } from './broker/page-cache.js';
export { FIRST_ROW_PAGE, ROW_PAGE_TARGET, RowPageSize } from './broker/row-page-size.js';
export { type ResolvedStart, resolveStart, type StartRequest } from './broker/start-position.js';
export { Subscription } from './broker/subscription.js';
export { TurnBudget } from './broker/turn-budget.js';
export { type BrokerLease, BrokerRegistry, type BrokerRegistryOptions } from './engine/broker-registry.js';
export { createEngine, type EngineLog, type EngineOptions, type LivelogEngine } from './engine/create-engine.js';
export { encodeEntry, encodeEntryBody, encodeEntryHead, toLogEntry } from './entry/encode-entry.js';
export { compileFilter, type EntryFilter, isEmptyFilter } from './entry/entry-filter.js';
export type { NewEntry } from './entry/new-entry.js';
export { type EntryDefaults, normalizeRecord } from './ingest/normalize-record.js';
export { type BodyFormat, bodyFormatOf, type ParseBodyOptions, parseBody } from './ingest/parse-body.js';
export { scanJson } from './ingest/scan-json.js';
export { splitMessage } from './ingest/split-message.js';
export { withoutUtf8Bom } from './ingest/utf8-bom.js';
// The shippers' part, also its own entry point (`@livelog/core/ingest`) for the CLI's quick start.
export * from './ingest.js';
export { type Prunable, RetentionPruner, type RetentionPrunerOptions } from './retention/retention-pruner.js';
export { encodeComment, encodeEntryFrame, encodeEvent, encodeIdOnly, type SseEvent } from './sse/encode-event.js';
export type { SseSink } from './sse/sse-sink.js';
export { encodeCloseEvent, encodeEndEvent, encodeRefusal, encodeResetEvent } from './sse/stream-events.js';
export { AppendListeners } from './store/append-listeners.js';
export {
  DEFAULT_SCAN_BUDGET,
  PAGE_UNITS,
  type ScanBudget,
  type SeqWindow,
  scanPage,
  type WindowReader,
  yieldToEventLoop,
} from './store/chunked-scan.js';
export {
  checkSameBody,
  digestBody,
  IDEMPOTENCY_MAX_KEYS,
  IDEMPOTENCY_TTL_MS,
  type IdempotencyLimits,
  idempotencyLimits,
} from './store/idempotency.js';
export { type IdentityChangingStore, type IdentityListener, isIdentityChanging } from './store/identity-changing-store.js';
export { ListenerSet } from './store/listener-set.js';
export {
  effectiveRetention,
  type ListStreamsPage,
  type ListStreamsQuery,
  type LogDatabase,
  type OpenStreamOptions,
  type SetStreamOptions,
  type StreamChange,
  type StreamChangeListener,
} from './store/log-database.js';
export type {
  AppendListener,
  AppendOptions,
  AppendResult,
  BasicLogStore,
  EndListener,
  EndRequest,
  FramePage,
  HealthCheckedStore,
  LogStore,
  ReadPage,
  ReadQuery,
  RetentionPolicy,
  SourceInfo,
  SourcesQuery,
  StoreBounds,
  StoredEntry,
  StoredStreamInfo,
} from './store/log-store.js';
export { isHealthChecked, resumeOf } from './store/log-store.js';
export { MemoryDatabase, type MemoryDatabaseOptions } from './store/memory-database.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export { listByRecency, type RecentItem, type RecentSource } from './store/recent-list.js';
/** The search index's schema and text, for the same baseline: livelog's schema holds the index. */
export { PieceWords } from './store/search-tokens.js';
export { asLogStore, isLogStore, singleStreamDatabase } from './store/single-stream-database.js';
export { SqliteDatabase, type SqliteDatabaseOptions } from './store/sqlite-database.js';
/** The SQLite schema and pragmas, for the bench's raw better-sqlite3 baseline (same schema, same settings). */
export { prepareDatabase, SEQ_BITS } from './store/sqlite-schema.js';
export { INSERT_INDEX_ROW, INSERT_PIECE, pieceKeys, prepareSearchIndex, SEARCH_BLOCK } from './store/sqlite-search.js';
export { SqliteStore, type SqliteStoreOptions } from './store/sqlite-store.js';
export { checkStoreUrl, createStoreFromUrl, isLogDatabase, type StoreProvider } from './store/store-provider.js';
export { StreamChanges } from './store/stream-changes.js';
export { badStreamName, streamEnded, streamNotFound } from './store/stream-errors.js';
export { createStreamId } from './store/stream-id.js';
export { decodeListCursor, encodeListCursor, type ListPosition, matchesListQuery } from './store/stream-list.js';
export {
  type Around,
  entryOf,
  type HistogramCounts,
  type HistogramQuery,
  type HistogramStore,
  hasHistogram,
  intersectRange,
  readAround,
  type SeqRange,
  scanHistogram,
  seekTime,
  seqRangeOfTime,
} from './store/time-navigation.js';
