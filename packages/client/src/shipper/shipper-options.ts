import { isStreamName } from '@livelog/protocol';
import type { ShipperSpool } from './shipper-spool.js';

/** How failed requests are retried. Every value is in ms. */
export interface RetryOptions {
  /** Delay before the first retry. Defaults to 100. */
  initialDelayMs?: number;
  /** Longest delay between two attempts (a `Retry-After` may ask for longer, up to 5 min). Defaults to 5,000. */
  maxDelayMs?: number;
  /** Each delay is this many times the one before. Defaults to 2. */
  multiplier?: number;
  /**
   * Share of each delay that is random, 0..1, so that shippers cut off together do not come back
   * together. Defaults to 0.5: a delay `d` becomes a value between `d/2` and `d`.
   */
  jitter?: number;
}

/** Options of `createShipper`. */
export interface ShipperOptions {
  /** Base URL of the livelog server (with its base path), e.g. `http://127.0.0.1:7600`. A URL ending in `/api/logs` is used as is. */
  url: string;
  /** Token with the `ingest` scope, sent as `Authorization: Bearer`. */
  token?: string;
  /** Source of records that name none (sent as `?source=`). Defaults to the server's default, `default`. */
  source?: string;
  /**
   * The named stream to write to (`POST /api/streams/{name}/logs`; the server creates it on the first
   * write), e.g. `build-1234`. Defaults to none: `POST /api/logs`, the stream `default`. A stream that
   * was ended refuses more records (409 `LIVELOG_ERR_STREAM_ENDED`, reported as `rejected`).
   * @see ../../../../docs/concepts/streams.md
   */
  stream?: string;
  /** Most records in one request. Defaults to 5,000 (the server takes up to 100,000). */
  maxBatchEntries?: number;
  /** Most bytes (UTF-8, approximately) in one request body. Defaults to 2 MiB (the server's body limit defaults to 16 MiB). */
  maxBatchBytes?: number;
  /** How long a batch waits for more records after its first one before it is sent. Defaults to 50. */
  lingerMs?: number;
  /** Retry schedule for network errors, timeouts, 408, 429 and 5xx. Retries never stop on their own; `close({ timeoutMs })` bounds them. */
  retry?: RetryOptions;
  /** An attempt that has no answer after this long is aborted and retried. Defaults to 10,000. */
  requestTimeoutMs?: number;
  /**
   * Records held in memory, in bytes of their JSON (UTF-16 code units, equal to bytes for ASCII), above
   * which `write` returns false and `waitForRoom` waits. Nothing is ever dropped: callers that honour
   * `false` (the CLI, the pino and winston transports all do) keep memory under this bound plus one
   * batch. With a spool, sealed batches leave memory once they are on disk. Defaults to 16 MiB.
   */
  maxBufferedBytes?: number;
  /**
   * Size of the parts a message is cut into when its record is longer than `maxLineBytes` (shorter
   * records go whole: the server splits long messages itself). Parts are marked `part: {index, count}`.
   * Set it to the server's `--message-limit`. Defaults to 64 KiB.
   */
  maxMessageBytes?: number;
  /** Longest record line the server takes (`--line-limit`); a longer record is rejected locally. Defaults to 1 MiB. */
  maxLineBytes?: number;
  /** Where sealed batches are written ahead before being sent (see `@livelog/client/node` for the file spool). */
  spool?: ShipperSpool;
  /** The fetch to use. Defaults to `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/** `ShipperOptions` with every default applied. */
export interface ResolvedShipperOptions {
  endpoint: string;
  token: string | undefined;
  source: string | undefined;
  maxBatchEntries: number;
  maxBatchBytes: number;
  lingerMs: number;
  retry: Required<RetryOptions>;
  requestTimeoutMs: number;
  maxBufferedBytes: number;
  maxMessageBytes: number;
  maxLineBytes: number;
  spool: ShipperSpool | undefined;
  fetch: typeof fetch;
}

/** The defaults of every shipper option. */
export const SHIPPER_DEFAULTS = {
  maxBatchEntries: 5000,
  maxBatchBytes: 2 * 1024 * 1024,
  lingerMs: 50,
  retry: { initialDelayMs: 100, maxDelayMs: 5000, multiplier: 2, jitter: 0.5 },
  requestTimeoutMs: 10_000,
  maxBufferedBytes: 16 * 1024 * 1024,
  maxMessageBytes: 64 * 1024,
  maxLineBytes: 1024 * 1024,
} as const;

/** Validates `options` and applies the defaults; throws a TypeError naming the first bad value. */
export function resolveShipperOptions(options: ShipperOptions): ResolvedShipperOptions {
  if (typeof options.url !== 'string' || !/^https?:\/\//i.test(options.url)) {
    throw new TypeError(`shipper: url must be an http(s) URL, got ${JSON.stringify(options.url)}`);
  }
  const base = options.url.replace(/\/+$/, '');
  const givenEndpoint = /\/api\/logs$/.test(new URL(base).pathname);
  let endpoint = givenEndpoint ? base : `${base}/api/logs`;
  if (options.stream !== undefined) {
    if (typeof options.stream !== 'string' || !isStreamName(options.stream)) {
      throw new TypeError(
        `shipper: stream must be a stream name (lowercase letters, digits, ".", "_", "-"; starting with a letter or digit; at most 128 characters), got ${JSON.stringify(options.stream)}`,
      );
    }
    if (givenEndpoint) throw new TypeError('shipper: with stream, url must be the server base URL, not one ending in /api/logs');
    endpoint = `${base}/api/streams/${options.stream}/logs`;
  }
  const retry = { ...SHIPPER_DEFAULTS.retry, ...definedOnly(options.retry ?? {}) };
  const resolved: ResolvedShipperOptions = {
    endpoint,
    token: options.token === '' ? undefined : options.token,
    source: options.source === '' ? undefined : options.source,
    maxBatchEntries: count('maxBatchEntries', options.maxBatchEntries, SHIPPER_DEFAULTS.maxBatchEntries, 1),
    maxBatchBytes: count('maxBatchBytes', options.maxBatchBytes, SHIPPER_DEFAULTS.maxBatchBytes, 1),
    lingerMs: count('lingerMs', options.lingerMs, SHIPPER_DEFAULTS.lingerMs, 0),
    retry: {
      initialDelayMs: count('retry.initialDelayMs', retry.initialDelayMs, SHIPPER_DEFAULTS.retry.initialDelayMs, 0),
      maxDelayMs: count('retry.maxDelayMs', retry.maxDelayMs, SHIPPER_DEFAULTS.retry.maxDelayMs, 0),
      multiplier: count('retry.multiplier', retry.multiplier, SHIPPER_DEFAULTS.retry.multiplier, 1),
      jitter: fraction('retry.jitter', retry.jitter),
    },
    requestTimeoutMs: count('requestTimeoutMs', options.requestTimeoutMs, SHIPPER_DEFAULTS.requestTimeoutMs, 1),
    maxBufferedBytes: count('maxBufferedBytes', options.maxBufferedBytes, SHIPPER_DEFAULTS.maxBufferedBytes, 1),
    maxMessageBytes: count('maxMessageBytes', options.maxMessageBytes, SHIPPER_DEFAULTS.maxMessageBytes, 16),
    maxLineBytes: count('maxLineBytes', options.maxLineBytes, SHIPPER_DEFAULTS.maxLineBytes, 64),
    spool: options.spool,
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
  };
  if (resolved.source !== undefined && (resolved.source.length > 128 || /[\u0000-\u001f\u007f]/.test(resolved.source))) {
    throw new TypeError(`shipper: source must be 1 to 128 printable characters, got ${JSON.stringify(resolved.source)}`);
  }
  return resolved;
}

function count(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`shipper: ${name} must be a number >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function fraction(name: string, value: number): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new TypeError(`shipper: ${name} must be between 0 and 1, got ${JSON.stringify(value)}`);
  }
  return value;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
