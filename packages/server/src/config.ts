import { isIP } from 'node:net';
import { DEFAULT_INGEST_LIMITS, type IngestLimits, LivelogError, type RetentionPolicy } from '@livelog/core';
import { isStreamName, parseDuration, parseSize } from '@livelog/protocol';
import { parseTokenSpec, type TokenSpec } from './auth/tokens.js';
import { DEFAULTS } from './defaults.js';
import { parseSyslogAddress, type SyslogAddress } from './inputs/syslog/syslog-address.js';
import { isUnlimited } from './is-unlimited.js';

export { DEFAULTS };

/** Where entries are kept. */
export type StoreConfig =
  | {
      kind: 'sqlite';
      dir: string;
      durability: 'normal' | 'full';
      /** Keep the full-text search index (default true); false: no index writes, searches scan. */
      searchIndex?: boolean;
    }
  | { kind: 'memory' }
  /** A store named by URL (`redis://...`), created by the package that knows the scheme. */
  | { kind: 'url'; url: string };

/** The whole, validated configuration of a livelog server. */
export interface ServerConfig {
  host: string;
  port: number;
  /** Path prefix every route lives under, for reverse proxies: `''` or like `/logs`. */
  basePath: string;
  store: StoreConfig;
  tokens: TokenSpec[];
  retention: RetentionPolicy;
  /** Largest request body, in bytes. */
  bodyLimit: number;
  /** Most ingest body bytes held at once, across requests being received, parsed or committed. */
  ingestBuffer: number;
  /** `/readyz` is 503 while the data directory has less free space, in bytes; 0: no check. */
  minFreeSpace: number;
  ingest: IngestLimits;
  stream: StreamConfig;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Origins allowed to call the API from browsers (CORS); `*` for any. */
  corsOrigins: string[];
  inputs: InputsConfig;
  /** Without tokens, `Host` names answered besides localhost and IP addresses (`name`, `.domain`, or `*`). */
  allowedHosts: string[];
}

/** How the inputs of other protocols map what they receive. */
export interface InputsConfig {
  /** OTLP: the attribute whose value is `source` (record, else resource attribute). */
  otlpSourceAttribute: string;
  /** Loki push: the labels looked at, in order, for `source`. */
  lokiSourceLabels: string[];
  /** Loki push: the label whose value names each Loki stream's livelog stream; none: all to `default`. */
  lokiStreamLabel?: string;
  /** Syslog listeners (`--syslog tcp://127.0.0.1:6514`, repeatable). */
  syslog: SyslogAddress[];
  /** The livelog stream syslog messages go to; none: `default`. */
  syslogStream?: string;
}

export interface StreamConfig {
  heartbeatMs: number;
  stallTimeoutMs: number;
  retryMs: number;
  ringEntries: number;
  ringBytes: number;
  /** Bytes of catch-up pages shared by readers behind the ring (see PageCache); 0: none, each reads its own. */
  catchupCacheBytes: number;
  /** Most concurrent SSE readers; more are answered 503. */
  maxReaders: number;
}

/**
 * Configuration as given on the command line or in the environment: strings as typed. Every key is
 * optional; missing ones take the documented defaults.
 */
export interface ServerConfigInput {
  host?: string;
  port?: string | number;
  basePath?: string;
  /** `sqlite` (default), `memory`, or a store URL such as `redis://host:6379/0?key=livelog`. */
  store?: string;
  data?: string;
  durability?: string;
  /** `on` (default) or `off`: the SQLite store's full-text search index. */
  searchIndex?: string | boolean;
  tokens?: readonly string[];
  retainEntries?: string | number;
  retainBytes?: string | number;
  retainAge?: string | number;
  bodyLimit?: string | number;
  ingestBuffer?: string | number;
  minFreeSpace?: string | number;
  lineLimit?: string | number;
  messageLimit?: string | number;
  batchLimit?: string | number;
  /** How far ahead of the server's clock a producer time may be (`1d`); later times are replaced. */
  maxClockSkew?: string | number;
  heartbeat?: string | number;
  stallTimeout?: string | number;
  retry?: string | number;
  ringEntries?: string | number;
  ringBytes?: string | number;
  /** Bytes of history pages shared by readers catching up (`32MiB`); 0 turns the cache off. */
  catchupCache?: string | number;
  maxReaders?: string | number;
  logLevel?: string;
  /** Comma-separated origins, or `*`. */
  corsOrigin?: string | readonly string[];
  /** OTLP attribute that gives `source`; defaults to `service.name`. */
  otlpSourceAttribute?: string;
  /** Comma-separated Loki labels that give `source`, first present wins. */
  lokiSourceLabels?: string | readonly string[];
  /** Loki label whose value names the livelog stream (`job`, `service_name`); unset: every push to `default`. */
  lokiStreamLabel?: string;
  /** Syslog listen addresses, `tcp://host:port` or `udp://host:port`; several, or comma-separated. */
  syslog?: string | readonly string[];
  /** The livelog stream syslog messages go to (`--syslog-stream`); unset: `default`. */
  syslogStream?: string;
  /** Comma-separated host names (`.example.com` for a domain and its subdomains), or `*`. */
  allowedHost?: string | readonly string[];
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Validates `input` into a ServerConfig. Collects every problem and throws one
 * LIVELOG_ERR_CONFIG_INVALID naming them all, each with the flag and the environment variable to fix.
 * Refuses (LIVELOG_ERR_CONFIG_INSECURE_BIND) to listen beyond loopback without a token.
 */
export function resolveServerConfig(input: ServerConfigInput = {}): ServerConfig {
  const problems: string[] = [];
  const problem = (flag: string, message: string): undefined => {
    // The one flag whose variable is not its name: `--token` is repeatable, LIVELOG_TOKENS holds the list.
    const variable = flag === 'token' ? 'TOKENS' : flag.toUpperCase().replaceAll('-', '_');
    problems.push(`--${flag} (LIVELOG_${variable}): ${message}`);
    return undefined;
  };

  const host = (input.host ?? DEFAULTS.host).trim();
  if (host === '') problem('host', 'must not be empty');
  const port = integer(input.port ?? DEFAULTS.port, 0, 65_535) ?? problem('port', 'must be a whole number from 0 to 65535');
  const basePath =
    normalizeBasePath(input.basePath ?? '') ??
    problem('base-path', 'must look like /logs (letters, digits, - _ . ~ / only; no "." or ".." segments)');

  const tokens: TokenSpec[] = [];
  for (const text of input.tokens ?? []) {
    for (const part of text
      .split(',')
      .map((token) => token.trim())
      .filter(Boolean)) {
      try {
        tokens.push(parseTokenSpec(part));
      } catch (error) {
        problem('token', (error as Error).message);
      }
    }
  }

  let store: StoreConfig | undefined;
  const storeText = (input.store ?? 'sqlite').trim();
  // full since issue 12: group commit keeps its ingest within 80% of normal's (bench scenario 1).
  const durability = (input.durability ?? 'full').trim().toLowerCase();
  if (durability !== 'normal' && durability !== 'full') problem('durability', 'must be normal or full');
  const searchIndex = onOff(input.searchIndex ?? true) ?? problem('search-index', 'must be on or off');
  if (storeText === 'sqlite') {
    const dir = (input.data ?? DEFAULTS.data).trim();
    if (dir === '') problem('data', 'must name a directory');
    store = { kind: 'sqlite', dir, durability: durability === 'normal' ? 'normal' : 'full', searchIndex: searchIndex ?? true };
  } else if (storeText === 'memory') {
    store = { kind: 'memory' };
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(storeText)) {
    store = { kind: 'url', url: storeText };
  } else {
    problem('store', 'must be sqlite, memory, or a store URL such as redis://127.0.0.1:6379/0?key=livelog');
  }

  const retention: RetentionPolicy = {};
  const retainEntries = optionalLimit(input.retainEntries, (text) => integer(text, 0, Number.MAX_SAFE_INTEGER));
  if (retainEntries === null) problem('retain-entries', 'must be a whole number of entries, or "unlimited"');
  else if (retainEntries !== undefined) retention.maxEntries = retainEntries;
  const retainBytes = optionalLimit(input.retainBytes ?? DEFAULTS.retainBytes, (text) => parseSize(String(text)));
  if (retainBytes === null) problem('retain-bytes', 'must be a size such as 500MB or 2GiB, or "unlimited"');
  else if (retainBytes !== undefined) retention.maxBytes = retainBytes;
  const retainAge = optionalLimit(input.retainAge ?? DEFAULTS.retainAge, (text) => parseDuration(String(text)));
  if (retainAge === null) problem('retain-age', 'must be a duration such as 12h or 7d, or "unlimited"');
  else if (retainAge !== undefined) retention.maxAgeMs = retainAge;

  const bodyLimit = size(input.bodyLimit ?? DEFAULTS.bodyLimit, 1024) ?? problem('body-limit', 'must be a size of at least 1KiB');
  const ingestBuffer = size(input.ingestBuffer ?? DEFAULTS.ingestBuffer, 1024) ?? problem('ingest-buffer', 'must be a size such as 64MiB');
  if (ingestBuffer !== undefined && bodyLimit !== undefined && ingestBuffer < bodyLimit) {
    problem('ingest-buffer', `must be at least the body limit (${bodyLimit} bytes), or the largest body could never be taken`);
  }
  const minFreeSpace =
    size(input.minFreeSpace ?? DEFAULTS.minFreeSpace, 0) ?? problem('min-free-space', 'must be a size such as 64MiB, or 0 for no check');
  const lineLimit =
    size(input.lineLimit ?? DEFAULT_INGEST_LIMITS.maxLineBytes, 64) ?? problem('line-limit', 'must be a size of at least 64 bytes');
  const messageLimit =
    size(input.messageLimit ?? DEFAULT_INGEST_LIMITS.maxMessageBytes, 16) ??
    problem('message-limit', 'must be a size of at least 16 bytes');
  const batchLimit =
    integer(input.batchLimit ?? DEFAULT_INGEST_LIMITS.maxEntries, 1, 10_000_000) ??
    problem('batch-limit', 'must be a whole number of at least 1');

  const maxClockSkew =
    duration(input.maxClockSkew ?? DEFAULTS.maxClockSkew, 0) ?? problem('max-clock-skew', 'must be a duration such as 1d or 10m');
  const heartbeatMs =
    duration(input.heartbeat ?? DEFAULTS.heartbeat, 10) ?? problem('heartbeat', 'must be a duration of at least 10ms, such as 15s');
  const stallTimeoutMs =
    duration(input.stallTimeout ?? DEFAULTS.stallTimeout, 10) ??
    problem('stall-timeout', 'must be a duration of at least 10ms, such as 30s');
  const retryMs = duration(input.retry ?? DEFAULTS.retry, 0) ?? problem('retry', 'must be a duration such as 2s');
  const ringEntries =
    integer(input.ringEntries ?? DEFAULTS.ringEntries, 1, 10_000_000) ?? problem('ring-entries', 'must be a whole number of at least 1');
  const ringBytes = size(input.ringBytes ?? DEFAULTS.ringBytes, 1024) ?? problem('ring-bytes', 'must be a size of at least 1KiB');
  const catchupCacheBytes =
    size(input.catchupCache ?? DEFAULTS.catchupCache, 0) ?? problem('catchup-cache', 'must be a size such as 32MiB, or 0 for no cache');
  const maxReaders =
    integer(input.maxReaders ?? DEFAULTS.maxReaders, 1, 10_000_000) ?? problem('max-readers', 'must be a whole number of at least 1');

  const logLevelText = (input.logLevel ?? 'info').trim().toLowerCase();
  const logLevel = (LOG_LEVELS as readonly string[]).includes(logLevelText)
    ? (logLevelText as ServerConfig['logLevel'])
    : problem('log-level', `must be one of ${LOG_LEVELS.join(', ')}`);

  const corsOrigins: string[] = [];
  for (const origin of commaList(input.corsOrigin)) {
    if (origin === '*' || /^https?:\/\/[^/\s]+$/i.test(origin.replace(/\/+$/, ''))) corsOrigins.push(origin);
    else problem('cors-origin', `"${origin}" is not an origin like https://app.example.com (or *)`);
  }

  const otlpSourceAttribute = (input.otlpSourceAttribute ?? DEFAULTS.otlpSourceAttribute).trim();
  if (otlpSourceAttribute === '' || otlpSourceAttribute.length > 256 || /[\u0000-\u001f\u007f]/.test(otlpSourceAttribute)) {
    problem('otlp-source-attribute', 'must be an attribute name such as service.name');
  }
  const lokiInput = input.lokiSourceLabels ?? DEFAULTS.lokiSourceLabels;
  const lokiSourceLabels = (typeof lokiInput === 'string' ? [lokiInput] : lokiInput)
    .flatMap((text) => text.split(','))
    .map((text) => text.trim())
    .filter(Boolean);
  const badLabel = lokiSourceLabels.find((label) => !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label));
  if (lokiSourceLabels.length === 0 || badLabel !== undefined) {
    problem(
      'loki-source-labels',
      `must be label names separated by commas, such as service_name,app,job${badLabel ? ` ("${badLabel}" is not one)` : ''}`,
    );
  }

  const lokiStreamLabel = input.lokiStreamLabel?.trim();
  if (lokiStreamLabel !== undefined && lokiStreamLabel !== '' && !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(lokiStreamLabel)) {
    problem('loki-stream-label', `must be one Loki label name such as job or service_name ("${lokiStreamLabel.slice(0, 80)}" is not one)`);
  }
  const syslogStream = input.syslogStream?.trim();
  if (syslogStream !== undefined && syslogStream !== '' && !isStreamName(syslogStream)) {
    problem(
      'syslog-stream',
      `must be a stream name (lower-case letters, digits, . _ -; "${String(syslogStream).slice(0, 80)}" is not one)`,
    );
  }
  const syslog: SyslogAddress[] = [];
  for (const text of commaList(input.syslog)) {
    const address = parseSyslogAddress(text);
    if (address === undefined) problem('syslog', `"${text}" is not an address like tcp://127.0.0.1:6514 or udp://0.0.0.0:514`);
    else if (tokens.length === 0 && !isLoopbackHost(address.host)) {
      // Syslog carries no token: beyond loopback, the same rule as for HTTP says the operator chose exposure knowingly.
      problem(
        'syslog',
        `refusing to receive syslog on ${address.host} without a --token configured (syslog itself has no authentication; firewall the port)`,
      );
    } else syslog.push(address);
  }

  const allowedHosts: string[] = [];
  for (const name of commaList(input.allowedHost)) {
    if (
      name === '*' ||
      /^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(name) ||
      /^\[[0-9a-f:.]+\]$/i.test(name)
    ) {
      allowedHosts.push(name.toLowerCase());
    } else {
      problem('allowed-host', `"${name}" is not a host name like logs.internal or .example.com (no scheme, port or path), or *`);
    }
  }

  if (problems.length > 0) {
    throw new LivelogError('LIVELOG_ERR_CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const config: ServerConfig = {
    host,
    port: port as number,
    basePath: basePath as string,
    store: store as StoreConfig,
    tokens,
    retention,
    bodyLimit: bodyLimit as number,
    ingestBuffer: ingestBuffer as number,
    minFreeSpace: minFreeSpace as number,
    ingest: {
      maxLineBytes: lineLimit as number,
      maxMessageBytes: messageLimit as number,
      maxEntries: batchLimit as number,
      maxDepth: DEFAULT_INGEST_LIMITS.maxDepth,
      maxFutureSkewMs: maxClockSkew as number,
    },
    stream: {
      heartbeatMs: heartbeatMs as number,
      stallTimeoutMs: stallTimeoutMs as number,
      retryMs: retryMs as number,
      ringEntries: ringEntries as number,
      ringBytes: ringBytes as number,
      catchupCacheBytes: catchupCacheBytes as number,
      maxReaders: maxReaders as number,
    },
    logLevel: logLevel as ServerConfig['logLevel'],
    corsOrigins,
    inputs: {
      otlpSourceAttribute,
      lokiSourceLabels,
      syslog,
      ...(lokiStreamLabel ? { lokiStreamLabel } : {}),
      ...(syslogStream ? { syslogStream } : {}),
    },
    allowedHosts,
  };
  assertSafeBind(config);
  return config;
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare.startsWith('::ffff:127.');
}

/** Throws LIVELOG_ERR_CONFIG_INSECURE_BIND for a non-loopback host with no token configured. */
export function assertSafeBind(config: Pick<ServerConfig, 'host' | 'tokens'>): void {
  if (config.tokens.length > 0 || isLoopbackHost(config.host)) return;
  throw new LivelogError(
    'LIVELOG_ERR_CONFIG_INSECURE_BIND',
    `refusing to listen on ${config.host} without a token: anyone who can reach that address could read and write your logs. ` +
      'Set a token with --token (LIVELOG_TOKENS), or listen on 127.0.0.1 only.',
  );
}

function normalizeBasePath(text: string): string | undefined {
  const trimmed = text.trim().replace(/\/+$/, '');
  if (trimmed === '') return '';
  const path = trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(path)) return undefined;
  // A dot segment would be resolved away by browsers and proxies, so links and routes would disagree.
  return path.split('/').some((segment) => segment === '.' || segment === '..') ? undefined : path;
}

/** The items of comma-separated values, trimmed, blanks dropped. */
function commaList(value: string | readonly string[] | undefined): string[] {
  const texts = value === undefined ? [] : typeof value === 'string' ? [value] : value;
  return texts
    .flatMap((text) => text.split(','))
    .map((text) => text.trim())
    .filter(Boolean);
}

function onOff(value: string | boolean): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const text = value.trim().toLowerCase();
  return text === 'on' ? true : text === 'off' ? false : undefined;
}

function integer(value: string | number, min: number, max: number): number | undefined {
  const text = String(value).trim().replaceAll('_', '');
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

function size(value: string | number, min: number): number | undefined {
  const bytes = typeof value === 'number' ? value : parseSize(value);
  return bytes !== undefined && Number.isSafeInteger(bytes) && bytes >= min ? bytes : undefined;
}

function duration(value: string | number, min: number): number | undefined {
  const ms = typeof value === 'number' ? value : parseDuration(value);
  return ms !== undefined && Number.isSafeInteger(ms) && ms >= min ? ms : undefined;
}

/** undefined: no limit; null: invalid; a number: the limit. */
function optionalLimit(
  value: string | number | undefined,
  parse: (text: string | number) => number | undefined,
): number | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && isUnlimited(value)) return undefined;
  return parse(value) ?? null;
}
