export { ChaosProxy } from './chaos-proxy.js';
export { getJson, type IngestReply, ingest, ndjson, postLogs } from './http.js';
export { ResumingReader, type ResumingReaderOptions } from './resuming-reader.js';
export { cliPath, type SpawnedServer, type SpawnServerOptions, spawnServer } from './spawn-server.js';
export { openSse, type SseConnection, type SseConnectionHandlers } from './sse-connection.js';
export { type SseMessage, SseParser, type SseParserHandlers } from './sse-parser.js';
export { startServer, type TestServer } from './start-server.js';
export { freePort, tempDir } from './temp-dir.js';
export { delay, type WaitForOptions, waitFor } from './wait-for.js';
