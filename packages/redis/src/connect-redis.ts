import { LivelogError } from '@livelog/core';
import { createClient, type RedisClientOptions } from '@redis/client';

/** How the store connects. */
export interface ConnectRedisOptions {
  url: string;
  /** How long the first connection may take before it fails, in ms. */
  connectTimeoutMs: number;
  /**
   * `true`: a command sent while reconnecting fails at once (appends must answer 503, not wait).
   * `false`: it waits for the connection (the XREAD loop, which has nothing better to do).
   */
  disableOfflineQueue: boolean;
  /** A socket silent for this long is taken as dead and replaced, in ms. */
  socketTimeout?: number;
  onError?: ((error: unknown) => void) | undefined;
}

/** A connected node-redis client. */
export type RedisConnection = ReturnType<typeof newClient>;

/**
 * Connects a client that speaks RESP2, whose raw replies (XRANGE, XREAD, EVALSHA) are plain nested
 * arrays. Before the first connection it gives up at the timeout, so a server fails to start with a
 * clear message; after it, it reconnects for ever with capped, jittered backoff.
 */
export async function connectRedis(options: ConnectRedisOptions): Promise<RedisConnection> {
  const deadline = Date.now() + options.connectTimeoutMs;
  let connected = false;
  const client = newClient({
    url: options.url,
    disableOfflineQueue: options.disableOfflineQueue,
    socket: {
      connectTimeout: Math.min(5000, options.connectTimeoutMs),
      ...(options.socketTimeout === undefined ? {} : { socketTimeout: options.socketTimeout }),
      reconnectStrategy: (retries, cause) => {
        if (!connected && Date.now() >= deadline) return cause;
        return Math.min(2000, 50 * 2 ** Math.min(retries, 6)) * (0.5 + Math.random() / 2);
      },
    },
  });
  // node-redis emits every connection error; without a listener Node would treat it as fatal.
  client.on('error', (error: unknown) => options.onError?.(error));
  try {
    await client.connect();
  } catch (error) {
    client.destroy();
    throw unavailable(`cannot reach Redis at ${redactUrl(options.url)}`, error);
  }
  connected = true;
  return client;
}

function newClient(options: Omit<RedisClientOptions, 'RESP'>) {
  return createClient({ ...options, RESP: 2 });
}

/** LIVELOG_ERR_STORE_UNAVAILABLE (503), with the cause's message appended. */
export function unavailable(message: string, cause: unknown): LivelogError {
  const reason = cause instanceof Error ? `: ${cause.message}` : '';
  return new LivelogError('LIVELOG_ERR_STORE_UNAVAILABLE', `${message}${reason}`, { cause });
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** `promise`, or a rejection once `ms` have passed without an answer. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
