export { parseTokenSpec, type Scope, TokenBook, type TokenSpec } from './auth/tokens.js';
export {
  assertSafeBind,
  DEFAULTS,
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
export { isUnlimited } from './is-unlimited.js';
export { type LivelogPluginOptions, livelog, livelog as default } from './plugin.js';
export { NodeSseSink, SSE_HEADERS } from './sse/node-sse-sink.js';
export { serveStream } from './sse/serve-stream.js';
export { createStreamHandler, type StreamHandlerOptions } from './sse/stream-handler.js';
