export { ChaosProxy, type CutRecord, type CutStats } from './chaos-proxy.js';
export { checkSeqs, type SeqCheck } from './check-seqs.js';
export { CHROMIUM_ARGS, chromiumPath } from './chromium.js';
export { commandRuns } from './command-runs.js';
export { EventBoundary } from './event-boundary.js';
export {
  getJson,
  ingest,
  type JsonReply,
  ndjson,
  type PostLogsReply,
  postLogs,
  postStreamEnd,
  postStreamLogs,
  requestJson,
  storedEntries,
  streamPath,
} from './http.js';
export { ResumingReader, type ResumingReaderOptions } from './resuming-reader.js';
export { cliPath, type SpawnedServer, type SpawnServerOptions, spawnServer } from './spawn-server.js';
export { openSse, type SseConnection, type SseConnectionHandlers } from './sse-connection.js';
export { type SseMessage, SseParser, type SseParserHandlers } from './sse-parser.js';
export { startServer, type TestServer } from './start-server.js';
export { type LedgerEntry, StreamLedger } from './stream-ledger.js';
export { freePort, tempDir } from './temp-dir.js';
export { delay, type WaitForOptions, type WaitForProgressOptions, waitFor, waitForProgress } from './wait-for.js';
