export { parseTokenSpec, type Scope, TokenBook, type TokenSpec } from './auth/tokens.js';
export {
  assertSafeBind,
  DEFAULTS,
  type InputsConfig,
  isLoopbackHost,
  resolveServerConfig,
  type ServerConfig,
  type ServerConfigInput,
  type StoreConfig,
  type StreamConfig,
} from './config.js';
export { type CreateServerOptions, createServer, type LivelogServer } from './create-server.js';
export { createStore } from './create-store.js';
export { errorBody, toLivelogError } from './errors.js';
export { answerClientError, answerFrameworkError } from './framework-errors.js';
export { appendEntryGroups } from './inputs/append-entry-groups.js';
export { type EntryGroup, STREAM_NAME, streamNameOf } from './inputs/entry-group.js';
export { InputBatch, lineTooLong } from './inputs/input-batch.js';
export { countInputLines, type InputName } from './inputs/input-metrics.js';
export { PushRequest as LokiPushRequest } from './inputs/loki/loki-codec.js';
export { DEFAULT_LOKI_SOURCE_LABELS, type LokiMapOptions, type LokiMapResult, mapLokiPush } from './inputs/loki/map-loki-push.js';
export { mapOtlpLogs, type OtlpMapOptions, type OtlpMapResult } from './inputs/otlp/map-otlp-logs.js';
export { decodeOtlpError } from './inputs/otlp/otlp-status.js';
export { isUnlimited } from './is-unlimited.js';
export { type LivelogPluginOptions, livelog, livelog as default, STREAM_PARAM_MAX } from './plugin.js';
export type { LokiRouteOptions } from './routes/loki-push.js';
export type { OtlpRouteOptions } from './routes/otlp-logs.js';
export { NodeSseSink, SSE_HEADERS } from './sse/node-sse-sink.js';
export { serveStream } from './sse/serve-stream.js';
export { createStreamHandler, type StreamHandlerOptions } from './sse/stream-handler.js';
