import { type BasicLogStore, createEngine, isLogDatabase, type LivelogEngine, type LogDatabase, type StoreProvider } from '@livelog/core';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { assertSafeBind, type ServerConfig } from './config.js';
import { createStore } from './create-store.js';
import { answerClientError, answerFrameworkError } from './framework-errors.js';
import { livelog } from './plugin.js';
import { useStallLimit } from './sse/node-sse-sink.js';

/** Node's default limit of the request line and headers together: no path parameter can be longer. */
const MAX_PATH_PARAM = 16 * 1024;

/** A standalone livelog server. */
export interface LivelogServer {
  readonly app: FastifyInstance;
  readonly engine: LivelogEngine;
  readonly config: ServerConfig;
  /** Starts listening; resolves to the base URL (with the base path), e.g. `http://127.0.0.1:7600`. */
  listen(): Promise<string>;
  /**
   * Graceful shutdown: refuses new work, ends streams with a retryable `close` event, lets accepted
   * ingest requests commit, then closes the store.
   */
  close(): Promise<void>;
}

export interface CreateServerOptions {
  /**
   * A database, or a store of one stream (served as `default`), not yet opened, to use instead of the
   * one the config names (tests, embedding).
   */
  store?: LogDatabase | BasicLogStore;
  /**
   * How store URLs in the config (`--store redis://…`) become stores, by scheme. Defaults to none:
   * the server knows SQLite and memory only. `livelog serve` passes the Redis provider.
   */
  storeProviders?: readonly StoreProvider[];
  /** A pino logger; defaults to one at `config.logLevel` on stdout. */
  logger?: FastifyBaseLogger;
}

/** Builds a standalone server from a validated config (see `resolveServerConfig`). */
export async function createServer(config: ServerConfig, options: CreateServerOptions = {}): Promise<LivelogServer> {
  assertSafeBind(config);
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: { level: config.logLevel } }),
    // Ingest can reach many thousands of requests per second; per-request log lines would drown the log.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimit,
    // SSE streams are ended by the plugin; idle keep-alive sockets should not hold shutdown.
    forceCloseConnections: 'idle',
    return503OnClosing: false,
    // Readers hold connections for hours; Node's defaults would cut headers-slow clients only.
    requestTimeout: 60_000,
    keepAliveTimeout: 65_000,
    // A stream name is up to 128 characters, 384 once percent-encoded; with Fastify's default of 100,
    // or any limit, a longer one is refused by the router in Fastify's own shape (414 FST_ERR_MAX_PARAM_LENGTH); any
    // path that fits in Node's 16 KiB of headers reaches the name check instead (400, livelog's shape).
    routerOptions: { maxParamLength: MAX_PATH_PARAM },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  const given = options.store;
  const engine = await createEngine({
    ...(given === undefined
      ? { database: await createStore(config.store, options.storeProviders, app.log) }
      : isLogDatabase(given)
        ? { database: given }
        : { store: given }),
    retention: config.retention,
    pageCache: config.stream.catchupCacheBytes > 0 ? { maxBytes: config.stream.catchupCacheBytes } : false,
    broker: {
      heartbeatMs: config.stream.heartbeatMs,
      stallTimeoutMs: config.stream.stallTimeoutMs,
      retryMs: config.stream.retryMs,
      ring: { maxEntries: config.stream.ringEntries, maxBytes: config.stream.ringBytes },
    },
    log: app.log,
  });
  useStallLimit(config.stream.stallTimeoutMs);
  await app.register(livelog, {
    ...(config.basePath ? { prefix: config.basePath } : {}),
    engine,
    tokens: config.tokens,
    bodyLimit: config.bodyLimit,
    ingestBuffer: config.ingestBuffer,
    ingest: config.ingest,
    maxReaders: config.stream.maxReaders,
    corsOrigins: config.corsOrigins,
    otlp: { sourceAttribute: config.inputs.otlpSourceAttribute },
    loki: {
      sourceLabels: config.inputs.lokiSourceLabels,
      ...(config.inputs.lokiStreamLabel ? { streamLabel: config.inputs.lokiStreamLabel } : {}),
    },
    syslog: { listen: config.inputs.syslog, ...(config.inputs.syslogStream ? { stream: config.inputs.syslogStream } : {}) },
    allowedHosts: config.allowedHosts,
    ...(config.store.kind === 'sqlite' && options.store === undefined ? { dataDir: config.store.dir } : {}),
    minFreeSpace: config.minFreeSpace,
  });
  if (config.basePath) {
    // Redirect the bare root to the base path, so a proxy misconfiguration is easy to see.
    app.get('/', async (_request, reply) => reply.redirect(`${config.basePath}/`, 302));
  }
  app.addHook('onClose', async () => {
    await engine.stop();
  });
  let closed: Promise<void> | undefined;
  return {
    app,
    engine,
    config,
    async listen() {
      const address = await app.listen({ host: config.host, port: config.port });
      const url = new URL(address);
      if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = '127.0.0.1';
      return `${url.origin}${config.basePath}`;
    },
    close() {
      closed ??= app.close();
      return closed;
    },
  };
}
