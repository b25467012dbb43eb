import type { BrokerOptions, IngestLimits, LivelogEngine, LogStore, RetentionPolicy, StoreProvider } from '@livelog/core';
import { createEngine, DEFAULT_INGEST_LIMITS, LivelogError } from '@livelog/core';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { authorize } from './auth/authorize.js';
import { createSiteGuard } from './auth/site-guard.js';
import { parseTokenSpec, TokenBook, type TokenSpec } from './auth/tokens.js';
import type { StoreConfig } from './config.js';
import { createStore } from './create-store.js';
import { errorBody, toLivelogError } from './errors.js';
import { lingerUntilUploaded } from './linger.js';
import { RefusalLog } from './refusal-log.js';
import { registerCors } from './routes/cors.js';
import { DiskHealth } from './routes/disk-health.js';
import { registerHealth } from './routes/health.js';
import { registerHistory } from './routes/history.js';
import { registerHome } from './routes/home.js';
import { registerIngest } from './routes/ingest.js';
import { INGEST_BUSY_RETRY_AFTER_S, IngestBudget } from './routes/ingest-budget.js';
import { type LokiRouteOptions, registerLokiPush } from './routes/loki-push.js';
import { registerMetrics, ServerMetrics } from './routes/metrics.js';
import { type OtlpRouteOptions, registerOtlpLogs } from './routes/otlp-logs.js';
import { queryOf } from './routes/query-params.js';
import type { RouteContext } from './routes/route-context.js';
import { registerStream } from './routes/stream.js';

/** Refusals that are the server protecting itself, not failures: logged at warn, rate-limited. */
const SELF_PROTECTION: ReadonlySet<string> = new Set([
  'LIVELOG_ERR_STREAM_TOO_MANY_READERS',
  'LIVELOG_ERR_INGEST_BUSY',
  'LIVELOG_ERR_SHUTTING_DOWN',
]);

/** Options of the livelog Fastify plugin. Register it with a `prefix` to mount it under a path. */
export interface LivelogPluginOptions {
  /**
   * A running engine (see `createEngine` in `@livelog/core`). When omitted the plugin creates one from
   * `store`, `retention` and `broker`, and stops it when the Fastify instance closes.
   */
  engine?: LivelogEngine;
  /**
   * The store of an engine the plugin creates: a store not yet opened, or a config. Defaults to
   * SQLite in `./livelog-data`.
   */
  store?: LogStore | StoreConfig;
  /** How a `{ kind: 'url' }` store config becomes a store, by URL scheme. Defaults to none. */
  storeProviders?: readonly StoreProvider[];
  retention?: RetentionPolicy;
  broker?: BrokerOptions;
  /** Tokens (`SECRET` or `SECRET:read+ingest`); none means no auth. Defaults to none. */
  tokens?: readonly (string | TokenSpec)[];
  /** Largest ingest body in bytes. Defaults to 16 MiB. */
  bodyLimit?: number;
  /**
   * Most ingest body bytes held at once, across requests being received, parsed and committed; more
   * are answered 503 with Retry-After. At least `bodyLimit`. Defaults to 32 MiB.
   */
  ingestBuffer?: number;
  ingest?: Partial<IngestLimits>;
  /** Most concurrent SSE readers. Defaults to 10,000. */
  maxReaders?: number;
  /** Serve the page at the prefix's root. Defaults to true. */
  home?: boolean;
  /** Origins allowed to call the API from a browser (CORS); `*` for any. Defaults to none (same origin only). */
  corsOrigins?: readonly string[];
  /**
   * Without tokens, the `Host` names answered besides localhost and IP addresses (`logs.internal`, `.example.com`
   * for a domain and its subdomains, `*` for any); other names get 421, against DNS rebinding. With
   * tokens every name is answered. Defaults to none. @see createSiteGuard
   */
  allowedHosts?: readonly string[];
  /**
   * `/readyz` answers 503 while free space in this directory (the store's data directory) is below
   * `minFreeSpace` bytes. Defaults to the directory of a SQLite `store` config, else none.
   */
  dataDir?: string;
  /** Free bytes `/readyz` asks of `dataDir`; 0 turns the check off. Defaults to 64 MiB. */
  minFreeSpace?: number;
  /** Add Node process metrics (CPU, memory, event loop) to `/metrics`. Defaults to true. */
  processMetrics?: boolean;
  /** The OTLP/HTTP logs input (`POST /v1/logs`). */
  otlp?: OtlpRouteOptions;
  /** The Loki push input (`POST /loki/api/v1/push`). */
  loki?: LokiRouteOptions;
}

/**
 * The livelog API as a Fastify plugin: `POST /api/logs`, `GET /api/stream` (SSE), `GET /api/logs`,
 * `GET /api/sources`, `/healthz`, `/readyz`, `/metrics`, a page at `/`, and the inputs of other
 * protocols: `POST /v1/logs` (OTLP/HTTP) and `POST /loki/api/v1/push` (Loki push).
 *
 * The plugin is encapsulated: its body parsers, error format and auth apply to its own routes only,
 * so it can be mounted into an existing app without changing the app.
 * @example
 * await app.register(livelog, { prefix: '/logs', store: { kind: 'sqlite', dir: './data', durability: 'normal' } });
 */
export const livelog: FastifyPluginAsync<LivelogPluginOptions> = async (app: FastifyInstance, options: LivelogPluginOptions) => {
  const owned = options.engine === undefined;
  const engine =
    options.engine ??
    (await createEngine({
      store: await storeOf(options),
      ...(options.retention ? { retention: options.retention } : {}),
      ...(options.broker ? { broker: options.broker } : {}),
      log: app.log,
    }));
  const tokens = new TokenBook((options.tokens ?? []).map((token) => (typeof token === 'string' ? parseTokenSpec(token) : token)));
  const bodyLimit = options.bodyLimit ?? 16 * 1024 * 1024;
  const ingestBudget = new IngestBudget(Math.max(options.ingestBuffer ?? 32 * 1024 * 1024, bodyLimit));
  const metrics = new ServerMetrics(engine, { processMetrics: options.processMetrics ?? true, ingestHeld: () => ingestBudget.held });
  let closing = false;
  const context: RouteContext = {
    engine,
    tokens,
    metrics,
    bodyLimit,
    ingestBudget,
    disk: new DiskHealth({
      dir: options.dataDir ?? (isStoreConfig(options.store) && options.store.kind === 'sqlite' ? options.store.dir : undefined),
      minFreeBytes: options.minFreeSpace ?? 64 * 1024 * 1024,
    }),
    ingest: { ...DEFAULT_INGEST_LIMITS, ...options.ingest },
    maxReaders: options.maxReaders ?? 10_000,
    closing: () => closing,
    requireScope: (scope) => async (request) => {
      authorize(tokens, request.headers, queryOf(request.url), scope);
    },
  };

  app.addHook('preClose', async () => {
    closing = true;
    // Readers get a `close` event with a retryable reason and reconnect, elsewhere or after a restart.
    engine.broker.closeAll('shutdown');
  });
  app.addHook('onClose', async () => {
    if (owned) await engine.stop();
  });

  const refusals = new RefusalLog(app.log);
  app.setErrorHandler((error, request, reply) => {
    const failure = toLivelogError(error);
    if (SELF_PROTECTION.has(failure.code)) refusals.refused(failure.code, failure.message);
    else if (failure.statusCode >= 500) request.log.error({ err: error }, failure.message);
    metrics.rejected(failure.code);
    if (failure.statusCode === 401) reply.header('www-authenticate', 'Bearer realm="livelog"');
    if (failure.code === 'LIVELOG_ERR_INGEST_BUSY') reply.header('retry-after', String(INGEST_BUSY_RETRY_AFTER_S));
    if (!request.raw.complete) {
      // Fastify would close the connection after a body it gave up on; the rest is read and dropped
      // instead, so that a client still uploading gets to read this answer.
      reply.removeHeader('connection');
      lingerUntilUploaded(request.raw);
    }
    reply.code(failure.statusCode).type('application/json; charset=utf-8').send(errorBody(failure));
  });
  app.setNotFoundHandler((request, reply) => {
    const failure = new LivelogError('LIVELOG_ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?', 1)[0]}`);
    if (!request.raw.complete) lingerUntilUploaded(request.raw);
    metrics.rejected(failure.code);
    reply.code(404).type('application/json; charset=utf-8').send(errorBody(failure));
  });

  if (tokens.open) {
    // No token: being on loopback is the only protection, and browsers on this machine can cross it.
    const guard = createSiteGuard({ allowedHosts: options.allowedHosts ?? [], corsOrigins: options.corsOrigins ?? [] });
    app.addHook('onRequest', async (request) => guard(request.method, request.headers));
  }
  registerCors(app, options.corsOrigins ?? []);
  registerIngest(app, context);
  registerOtlpLogs(app, context, options.otlp);
  registerLokiPush(app, context, options.loki);
  registerStream(app, context);
  registerHistory(app, context);
  registerHealth(app, context);
  registerMetrics(app, context);
  if (options.home ?? true) registerHome(app);
};

async function storeOf(options: LivelogPluginOptions): Promise<LogStore> {
  const store = options.store ?? { kind: 'sqlite', dir: './livelog-data', durability: 'normal' };
  return 'open' in store ? store : createStore(store, options.storeProviders);
}

function isStoreConfig(store: LogStore | StoreConfig | undefined): store is StoreConfig {
  return store !== undefined && typeof (store as LogStore).append !== 'function';
}
