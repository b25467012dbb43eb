import { isLivelogError, LivelogError } from '@livelog/core/ingest';
import type { LivelogServer, ServerConfigInput } from '@livelog/server';
import { DEFAULTS } from '@livelog/server/defaults';
import { type Command, Option } from 'commander';
import { useColor } from '../output/color-mode.js';
import { serveBanner } from '../output/serve-banner.js';
import { createPrettyLogger, resolveLogFormat } from '../output/server-logger.js';
import { portProblem, StartupSignals } from './serve-startup.js';
import type { StoreWarn } from './store-providers.js';

/** Flags of `livelog serve`, as commander hands them over. */
interface ServeFlags {
  port?: string;
  host?: string;
  data?: string;
  store?: string;
  durability?: string;
  searchIndex?: string;
  token?: string[];
  basePath?: string;
  retainEntries?: string;
  retainBytes?: string;
  retainAge?: string;
  bodyLimit?: string;
  ingestBuffer?: string;
  minFreeSpace?: string;
  lineLimit?: string;
  messageLimit?: string;
  maxClockSkew?: string;
  heartbeat?: string;
  stallTimeout?: string;
  retry?: string;
  ringEntries?: string;
  ringBytes?: string;
  catchupCache?: string;
  maxReaders?: string;
  logLevel?: string;
  logFormat?: string;
  corsOrigin?: string;
  otlpSourceAttribute?: string;
  lokiSourceLabels?: string;
  lokiStreamLabel?: string;
  allowedHost?: string;
  syslog?: string | string[];
  syslogStream?: string;
}

/**
 * `livelog serve`: the server with its console. Every flag also reads a LIVELOG_* variable. On a
 * terminal it prints a banner and readable log lines; elsewhere pino's JSON, for collectors.
 */
export function registerServe(program: Command): void {
  const env = (flag: string): string => `LIVELOG_${flag.toUpperCase().replaceAll('-', '_')}`;
  const option = (flags: string, description: string, name: string): Option => new Option(flags, description).env(env(name));
  program
    .command('serve')
    .description('run the livelog server and its web console')
    .addOption(option('-p, --port <port>', `port to listen on (default ${DEFAULTS.port}; 0 picks a free one)`, 'port'))
    .addOption(option('--host <host>', `address to listen on (default ${DEFAULTS.host}; beyond loopback needs --token)`, 'host'))
    .addOption(option('-d, --data <dir>', `data directory of the SQLite store (default ${DEFAULTS.data})`, 'data'))
    .addOption(option('--store <store>', 'sqlite (default), memory, or a store URL such as redis://127.0.0.1:6379/0?key=livelog', 'store'))
    .addOption(
      option(
        '--durability <mode>',
        'full: an acknowledged batch survives a power cut (default); normal: a killed process only',
        'durability',
      ),
    )
    .addOption(
      option(
        '--search-index <on|off>',
        'on: keep a full-text index so searches read candidates (default); off: no index writes, searches scan',
        'search-index',
      ),
    )
    .addOption(
      // LIVELOG_TOKENS (plural): the tokens the server accepts. LIVELOG_TOKEN is the one token a client presents.
      option(
        '--token <token...>',
        'accepted token SECRET or SECRET:scope+scope (scopes read, ingest, admin), optionally limited to streams with @glob|glob (SECRET:read@ci-*|build-*); repeatable, or comma-separated',
        'tokens',
      ),
    )
    .addOption(option('--base-path <path>', 'serve everything under this path, for reverse proxies (e.g. /logs)', 'base-path'))
    .addOption(option('--retain-entries <n>', 'keep at most this many entries, or unlimited (the default)', 'retain-entries'))
    .addOption(
      option(
        '--retain-bytes <size>',
        `keep at most this much data, e.g. 500MB, or unlimited (default ${DEFAULTS.retainBytes})`,
        'retain-bytes',
      ),
    )
    .addOption(
      option('--retain-age <duration>', `keep entries this long, e.g. 12h, or unlimited (default ${DEFAULTS.retainAge})`, 'retain-age'),
    )
    .addOption(option('--body-limit <size>', `largest ingest request body (default ${DEFAULTS.bodyLimit})`, 'body-limit'))
    .addOption(
      option(
        '--ingest-buffer <size>',
        `most ingest bytes held at once across requests; more get 503 and retry (default ${DEFAULTS.ingestBuffer})`,
        'ingest-buffer',
      ),
    )
    .addOption(
      option(
        '--min-free-space <size>',
        `/readyz answers 503 while the data directory has less free space; 0: no check (default ${DEFAULTS.minFreeSpace})`,
        'min-free-space',
      ),
    )
    .addOption(option('--line-limit <size>', 'longest line of an ingest body (default 1MiB)', 'line-limit'))
    .addOption(option('--message-limit <size>', 'longer messages are split into parts (default 64KiB)', 'message-limit'))
    .addOption(
      option(
        '--max-clock-skew <duration>',
        `producer times further ahead than this get the receive time (default ${DEFAULTS.maxClockSkew})`,
        'max-clock-skew',
      ),
    )
    .addOption(option('--heartbeat <duration>', `heartbeat interval on idle streams (default ${DEFAULTS.heartbeat})`, 'heartbeat'))
    .addOption(
      option(
        '--stall-timeout <duration>',
        `disconnect a reader that reads nothing this long (default ${DEFAULTS.stallTimeout})`,
        'stall-timeout',
      ),
    )
    .addOption(option('--retry <duration>', `reconnection delay suggested to clients in hello (default ${DEFAULTS.retry})`, 'retry'))
    .addOption(option('--ring-entries <n>', `recent entries kept encoded in memory (default ${DEFAULTS.ringEntries})`, 'ring-entries'))
    .addOption(option('--ring-bytes <size>', `most bytes of frames the ring keeps (default ${DEFAULTS.ringBytes})`, 'ring-bytes'))
    .addOption(
      option(
        '--catchup-cache <size>',
        `history pages kept for readers catching up at once, 0 for none (default ${DEFAULTS.catchupCache})`,
        'catchup-cache',
      ),
    )
    .addOption(option('--max-readers <n>', `most concurrent streams (default ${DEFAULTS.maxReaders})`, 'max-readers'))
    .addOption(option('--cors-origin <origins>', 'origins allowed to call the API from browsers, comma-separated, or *', 'cors-origin'))
    .addOption(
      option(
        '--otlp-source-attribute <key>',
        `OTLP attribute whose value is the source, record else resource (default ${DEFAULTS.otlpSourceAttribute})`,
        'otlp-source-attribute',
      ),
    )
    .addOption(
      option(
        '--loki-source-labels <labels>',
        `Loki labels that give the source, first present wins, comma-separated (default ${DEFAULTS.lokiSourceLabels})`,
        'loki-source-labels',
      ),
    )
    .addOption(
      option(
        '--loki-stream-label <label>',
        'Loki label whose value names the livelog stream of each Loki stream (e.g. job); unset: every push goes to the stream named default',
        'loki-stream-label',
      ),
    )
    .addOption(
      option(
        '--syslog <address...>',
        'receive syslog (RFC 5424 and 3164) on tcp://host:port or udp://host:port; repeatable, or comma-separated',
        'syslog',
      ),
    )
    .addOption(
      option('--syslog-stream <name>', 'the livelog stream syslog messages go to; unset: the stream named default', 'syslog-stream'),
    )
    .addOption(
      option(
        '--allowed-host <names>',
        'without a token, host names answered besides localhost and IP addresses (comma-separated; .example.com for subdomains, * for any)',
        'allowed-host',
      ),
    )
    .addOption(option('--log-level <level>', 'fatal, error, warn, info (default), debug, trace or silent', 'log-level'))
    .addOption(
      option('--log-format <format>', 'pretty (a banner and readable lines), json, or auto: pretty on a terminal (default)', 'log-format'),
    )
    .action(async (flags: ServeFlags) => {
      await serve(flags);
    });
}

async function serve(flags: ServeFlags): Promise<void> {
  const signals = new StartupSignals();
  const input: ServerConfigInput = {};
  const copy = <K extends keyof ServerConfigInput & keyof ServeFlags>(key: K): void => {
    const value = flags[key];
    if (value !== undefined) (input as Record<string, unknown>)[key] = value;
  };
  for (const key of [
    'port',
    'host',
    'data',
    'store',
    'durability',
    'searchIndex',
    'basePath',
    'retainEntries',
    'retainBytes',
    'retainAge',
    'bodyLimit',
    'ingestBuffer',
    'minFreeSpace',
    'lineLimit',
    'messageLimit',
    'maxClockSkew',
    'heartbeat',
    'stallTimeout',
    'retry',
    'ringEntries',
    'ringBytes',
    'catchupCache',
    'maxReaders',
    'logLevel',
    'corsOrigin',
    'otlpSourceAttribute',
    'lokiSourceLabels',
    'lokiStreamLabel',
    'syslogStream',
    'allowedHost',
  ] as const) {
    copy(key);
  }
  const tokens = flags.token ?? deprecatedTokenVariable();
  if (tokens !== undefined) input.tokens = tokens;
  if (flags.syslog !== undefined) input.syslog = flags.syslog;
  const logFormat = resolveLogFormat(flags.logFormat, process.stdout.isTTY === true);
  if (logFormat === undefined)
    fail(new Error(`--log-format (LIVELOG_LOG_FORMAT) must be pretty, json or auto, got ${JSON.stringify(flags.logFormat)}`), 2);
  const color = useColor('auto', process.env, process.stdout.isTTY === true);
  // The server and the stores load only when serving, so `livelog tail` and friends start fast.
  const { createServer, resolveServerConfig } = await import('@livelog/server');
  const { checkStoreUrl } = await import('@livelog/core');
  const { serveStoreProviders } = await import('./store-providers.js');
  let server: LivelogServer | undefined;
  const stderrWarn: StoreWarn = (details, message) => process.stderr.write(`livelog serve: ${message} ${JSON.stringify(details)}\n`);
  const storeProviders = serveStoreProviders(() =>
    server === undefined ? stderrWarn : (details, message) => server?.app.log.warn(details, message),
  );
  let config: ReturnType<typeof resolveServerConfig>;
  try {
    config = resolveServerConfig(input);
  } catch (error) {
    // A bad flag or variable is a usage error (2); a server that cannot start is a failure (1).
    fail(error, 2);
  }
  // An unknown scheme or a URL its store cannot read is a bad value like any other, found before
  // anything starts; an unreachable store is a failure to start (1), found when it is opened.
  if (config.store.kind === 'url') {
    try {
      await checkStoreUrl(config.store.url, storeProviders);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      fail(
        new LivelogError('LIVELOG_ERR_CONFIG_INVALID', `invalid configuration:\n  --store (LIVELOG_STORE): ${message}`, { cause: error }),
        2,
      );
    }
  }
  const problem = await portProblem(config.host, config.port);
  if (problem !== undefined) fail(new Error(problem));
  try {
    const logger = logFormat === 'pretty' ? await createPrettyLogger(config.logLevel, color) : undefined;
    server = await createServer(config, logger === undefined ? { storeProviders } : { storeProviders, logger });
  } catch (error) {
    fail(error);
  }
  let url: string;
  try {
    url = await server.listen();
  } catch (error) {
    await server.close().catch(() => undefined);
    fail(error);
  }
  const { store } = server.engine;
  if (logFormat === 'pretty') process.stdout.write(serveBanner(server.config, { url, stream: store.streamId, color }));
  else
    server.app.log.info(
      { url, store: store.kind, stream: store.streamId, tokens: server.config.tokens.length },
      `livelog is serving ${url}/`,
    );
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      server.app.log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    server.app.log.info({ signal }, 'shutting down: ending streams, committing accepted batches');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  signals.serving(stop);
}

/**
 * Before LIVELOG_TOKENS, `serve` read its accepted tokens from LIVELOG_TOKEN, the variable whose value
 * every client command presents. Still honoured, with a warning, so existing deployments keep their auth.
 */
function deprecatedTokenVariable(): string[] | undefined {
  const value = process.env.LIVELOG_TOKEN;
  if (value === undefined || value === '') return undefined;
  process.stderr.write(
    'livelog serve: LIVELOG_TOKEN as the accepted tokens is deprecated; set LIVELOG_TOKENS (LIVELOG_TOKEN is the token clients present)\n',
  );
  return [value];
}

function fail(error: unknown, exitCode = 1): never {
  const message = isLivelogError(error) || error instanceof Error ? error.message : String(error);
  const code = isLivelogError(error) ? ` [${error.code}]` : '';
  process.stderr.write(`livelog serve: ${message}${code}\n`);
  process.exit(exitCode);
}
