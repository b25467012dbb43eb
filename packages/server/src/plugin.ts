import type {
  BasicLogStore,
  BrokerOptions,
  EngineLog,
  IngestLimits,
  LivelogEngine,
  LogDatabase,
  RetentionPolicy,
  StoreProvider,
} from '@livelog/core';
import { createEngine, DEFAULT_INGEST_LIMITS, isLogDatabase, LivelogError } from '@livelog/core';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { createSiteGuard } from './auth/site-guard.js';
import { parseTokenSpec, TokenBook, type TokenSpec } from './auth/tokens.js';
import type { StoreConfig } from './config.js';
import { createStore } from './create-store.js';
import { errorBody, toLivelogError } from './errors.js';
import type { SyslogAddress } from './inputs/syslog/syslog-address.js';
import { SyslogInput } from './inputs/syslog/syslog-input.js';
import { lingerUntilUploaded } from './linger.js';
import { RefusalLog } from './refusal-log.js';
import { allowedMethods } from './routes/allowed-methods.js';
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
import { ReaderCount } from './routes/reader-count.js';
import type { RouteContext } from './routes/route-context.js';
import { registerStream } from './routes/stream.js';
import { createStreamAccess } from './routes/stream-access.js';
import { registerStreams } from './routes/streams.js';
import { registerTimeNavigation } from './routes/time-navigation.js';
import { streamRefusal } from './sse/stream-refusal.js';

/**
 * The longest path parameter the routes need: a stream name of 128 characters, percent-encoded.
 * A Fastify instance the plugin is mounted into should allow it (`routerOptions.maxParamLength`);
 * with Fastify's default of 100, longer names are answered 414 in Fastify's shape, not livelog's.
 */
export const STREAM_PARAM_MAX = 3 * 128;

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
   * The store of an engine the plugin creates: a database or a single-stream store not yet opened, or
   * a config. Defaults to SQLite in `./livelog-data`.
   */
  store?: LogDatabase | BasicLogStore | StoreConfig;
  /** How a `{ kind: 'url' }` store config becomes a store, by URL scheme. Defaults to none. */
  storeProviders?: readonly StoreProvider[];
  retention?: RetentionPolicy;
  broker?: BrokerOptions;
  /** Tokens (`SECRET`, `SECRET:read+ingest`, `SECRET:read@ci-*|build-*`); none means no auth. Defaults to none. */
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
  /**
   * Syslog listeners (RFC 5424 and RFC 3164 over TCP and UDP), bound when the app gets ready and
   * closed, after their peers' messages are stored, when it closes. Defaults to none.
   */
  syslog?: SyslogPluginOptions;
}

/** The syslog input of the plugin. */
export interface SyslogPluginOptions {
  /** Addresses to listen on, e.g. `{ transport: 'tcp', host: '127.0.0.1', port: 6514 }`. */
  listen: readonly SyslogAddress[];
  /** The livelog stream every message goes to; default `default`. */
  stream?: string;
  /** Called with the addresses bound (port 0 replaced by the port chosen). */
  onListening?: (addresses: SyslogAddress[]) => void;
}

/**
 * The livelog API as a Fastify plugin: named streams under `/api/streams/{name}/` (`logs` to ingest
 * and page history, `stream` for SSE, `sources`, `end`, `v1/logs` for OTLP), `GET /api/streams`, the
 * unnamed routes `POST /api/logs`, `GET /api/stream` (SSE), `GET /api/logs`, `GET /api/sources` for
 * the stream `default`, `/healthz`, `/readyz`, `/metrics`, a page at `/`, and the inputs of other
 * protocols: `POST /v1/logs` (OTLP/HTTP) and `POST /loki/api/v1/push` (Loki push).
 *
 * The plugin is encapsulated: its body parsers, error format and auth apply to its own routes only,
 * so it can be mounted into an existing app without changing the app.
 * @example
 * await app.register(livelog, { prefix: '/logs', store: { kind: 'sqlite', dir: './data', durability: 'full' } });
 */
export const livelog: FastifyPluginAsync<LivelogPluginOptions> = async (app: FastifyInstance, options: LivelogPluginOptions) => {
  const owned = options.engine === undefined;
  const engine =
    options.engine ??
    (await createEngine({
      ...(await storeOf(options, app.log)),
      ...(options.retention ? { retention: options.retention } : {}),
      ...(options.broker ? { broker: options.broker } : {}),
      log: app.log,
    }));
  const tokens = new TokenBook((options.tokens ?? []).map((token) => (typeof token === 'string' ? parseTokenSpec(token) : token)));
  const bodyLimit = options.bodyLimit ?? 16 * 1024 * 1024;
  const ingestBudget = new IngestBudget(Math.max(options.ingestBuffer ?? 32 * 1024 * 1024, bodyLimit));
  const readers = new ReaderCount(options.maxReaders ?? 10_000);
  const metrics = new ServerMetrics(engine, {
    processMetrics: options.processMetrics ?? true,
    ingestHeld: () => ingestBudget.held,
    readers: () => readers.count,
  });
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
    readers,
    closing: () => closing,
    ...createStreamAccess(tokens),
  };

  app.addHook('preClose', async () => {
    closing = true;
    // Readers get a `close` event with a retryable reason and reconnect, elsewhere or after a restart.
    engine.broker.closeAll('shutdown');
    context.readers.closeAll('shutdown');
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
    const refusal =
      request.routeOptions.config.eventStream === true ? streamRefusal(failure, request.headers, engine.broker.retryMs) : undefined;
    if (refusal !== undefined) return reply.code(200).headers(refusal.headers).send(refusal.body);
    if (!request.raw.complete) {
      // Fastify would close the connection after a body it gave up on; the rest is read and dropped
      // instead, so that a client still uploading gets to read this answer.
      reply.removeHeader('connection');
      lingerUntilUploaded(request.raw);
    }
    reply.code(failure.statusCode).type('application/json; charset=utf-8').send(errorBody(failure));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0];
    const allowed = allowedMethods(app, request.method, request.url);
    const failure =
      allowed === undefined
        ? new LivelogError('LIVELOG_ERR_NOT_FOUND', `no route ${request.method} ${path}`)
        : new LivelogError('LIVELOG_ERR_METHOD_NOT_ALLOWED', `${path} does not answer ${request.method}; it answers ${allowed.join(', ')}`);
    if (allowed !== undefined) reply.header('allow', allowed.join(', '));
    if (!request.raw.complete) lingerUntilUploaded(request.raw);
    metrics.rejected(failure.code);
    reply.code(failure.statusCode).type('application/json; charset=utf-8').send(errorBody(failure));
  });

  if (tokens.open) {
    // No token: being on loopback is the only protection, and browsers on this machine can cross it.
    const guard = createSiteGuard({ allowedHosts: options.allowedHosts ?? [], corsOrigins: options.corsOrigins ?? [] });
    app.addHook('onRequest', async (request) => guard(request.method, request.headers));
  }
  const syslogOptions = options.syslog;
  if (syslogOptions !== undefined && syslogOptions.listen.length > 0) {
    const syslog = new SyslogInput({
      addresses: syslogOptions.listen,
      database: engine.database,
      ...(syslogOptions.stream === undefined ? {} : { stream: syslogOptions.stream }),
      limits: context.ingest,
      budget: ingestBudget,
      registry: metrics.registry,
      ingested: (entries, bytes) => metrics.ingested(entries, bytes),
      disk: context.disk,
      log: app.log,
    });
    app.addHook('onReady', async () => {
      const bound = await syslog.listen();
      syslogOptions.onListening?.(bound);
    });
    // Before the store closes: what peers sent up to the end is stored.
    app.addHook('preClose', async () => syslog.close());
  }
  registerCors(app, options.corsOrigins ?? []);
  registerIngest(app, context);
  registerOtlpLogs(app, context, options.otlp);
  registerLokiPush(app, context, options.loki);
  registerStream(app, context);
  registerHistory(app, context);
  registerTimeNavigation(app, context);
  registerStreams(app, context);
  registerHealth(app, context);
  registerMetrics(app, context);
  if (options.home ?? true) registerHome(app);
};

async function storeOf(options: LivelogPluginOptions, log: EngineLog): Promise<{ database: LogDatabase } | { store: BasicLogStore }> {
  const store = options.store ?? { kind: 'sqlite', dir: './livelog-data', durability: 'full' };
  if (!('open' in store)) return { database: await createStore(store, options.storeProviders, log) };
  return isLogDatabase(store) ? { database: store } : { store };
}

function isStoreConfig(store: LogDatabase | BasicLogStore | StoreConfig | undefined): store is StoreConfig {
  return store !== undefined && typeof (store as Partial<BasicLogStore>).open !== 'function';
}
