import { createCluster, type RedisClusterOptions } from '@redis/client';
import { connectRedis, type RedisConnection, redactUrl, unavailable } from './connect-redis.js';

/**
 * What the store needs from Redis, the same on a single Redis and on a Redis Cluster: commands routed
 * by their first key, Pub/Sub hints (classic on a single Redis, sharded on a cluster, where a classic
 * PUBLISH would be broadcast to every node), and a SCAN over every primary.
 */
export interface RedisLink {
  readonly cluster: boolean;
  /** The command that publishes a hint: `PUBLISH`, or `SPUBLISH` on a cluster. */
  readonly publishCommand: 'PUBLISH' | 'SPUBLISH';
  /** Sends one command to the node holding `key` (any node when undefined). */
  send<T>(key: string | undefined, args: readonly string[]): Promise<T>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** True while the command connection(s) are up. */
  readonly ready: boolean;
  /** Called when the subscriber connection is back after a cut: hints sent meanwhile were lost. */
  onReconnect(listener: () => void): void;
  /** Every key matching `match`, over every primary. */
  scan(match: string): Promise<string[]>;
  /** Sends one command to every primary (SCRIPT LOAD). */
  everyPrimary(args: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** How to reach Redis. */
export interface LinkOptions {
  /** `redis://…` for one Redis; for a cluster, the seed nodes' URLs. */
  urls: readonly string[];
  cluster: boolean;
  connectTimeoutMs: number;
  onError?: ((error: unknown) => void) | undefined;
}

/** Connects to one Redis or to a cluster; fails with LIVELOG_ERR_STORE_UNAVAILABLE when it cannot. */
export async function openLink(options: LinkOptions): Promise<RedisLink> {
  return options.cluster ? ClusterLink.open(options) : SingleLink.open(options);
}

/** One Redis: a command connection that fails fast while down, and a subscriber connection. */
class SingleLink implements RedisLink {
  readonly cluster = false;
  readonly publishCommand = 'PUBLISH';
  readonly #client: RedisConnection;
  readonly #subscriber: RedisConnection;
  readonly #reconnect = new Set<() => void>();

  private constructor(client: RedisConnection, subscriber: RedisConnection) {
    this.#client = client;
    this.#subscriber = subscriber;
    let connected = true;
    subscriber.on('end', () => {
      connected = false;
    });
    subscriber.on('error', () => {
      connected = false;
    });
    subscriber.on('ready', () => {
      if (connected) return;
      connected = true;
      for (const listener of this.#reconnect) listener();
    });
  }

  static async open(options: LinkOptions): Promise<SingleLink> {
    const url = options.urls[0] as string;
    const connect = { url, connectTimeoutMs: options.connectTimeoutMs, onError: options.onError };
    const client = await connectRedis({ ...connect, disableOfflineQueue: true });
    try {
      // The subscriber keeps an offline queue: a subscribe while reconnecting waits for the connection.
      const subscriber = await connectRedis({ ...connect, disableOfflineQueue: false });
      return new SingleLink(client, subscriber);
    } catch (error) {
      client.destroy();
      throw error;
    }
  }

  get ready(): boolean {
    return this.#client.isReady && this.#subscriber.isReady;
  }

  send<T>(_key: string | undefined, args: readonly string[]): Promise<T> {
    return this.#client.sendCommand<T>([...args]);
  }

  subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    return this.#subscriber.subscribe(channel, listener);
  }

  unsubscribe(channel: string): Promise<void> {
    return this.#subscriber.unsubscribe(channel);
  }

  onReconnect(listener: () => void): void {
    this.#reconnect.add(listener);
  }

  async scan(match: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const batch of this.#client.scanIterator({ MATCH: match, COUNT: 1000 })) keys.push(...batch);
    return keys;
  }

  async everyPrimary(args: readonly string[]): Promise<void> {
    await this.#client.sendCommand([...args]);
  }

  async close(): Promise<void> {
    for (const client of [this.#client, this.#subscriber]) {
      if (!client.isOpen) continue;
      if (client.isReady) await client.close().catch(() => client.destroy());
      else client.destroy();
    }
  }
}

type Cluster = ReturnType<typeof newCluster>;

/** The user name and password of a node URL, decoded. */
function credentials(url: string): { username?: string; password?: string } {
  const parsed = new URL(url);
  return {
    ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
  };
}

function newCluster(options: RedisClusterOptions<Record<string, never>, Record<string, never>, Record<string, never>, 2>) {
  return createCluster(options);
}

/** A Redis Cluster through node-redis's cluster client, which follows MOVED / ASK and topology changes. */
class ClusterLink implements RedisLink {
  readonly cluster = true;
  readonly publishCommand = 'SPUBLISH';
  readonly #cluster: Cluster;

  private constructor(cluster: Cluster) {
    this.#cluster = cluster;
  }

  static async open(options: LinkOptions): Promise<ClusterLink> {
    const deadline = Date.now() + options.connectTimeoutMs;
    let connected = false;
    const cluster = newCluster({
      RESP: 2,
      rootNodes: options.urls.map((url) => ({ url })),
      defaults: {
        // Credentials and TLS of the first URL apply to every node the cluster reports (not its
        // host: `url` here would send every node's connection to the seed).
        ...credentials(options.urls[0] as string),
        disableOfflineQueue: true,
        socket: {
          ...(options.urls[0]?.startsWith('rediss:') ? { tls: true as const } : {}),
          connectTimeout: Math.min(5000, options.connectTimeoutMs),
          reconnectStrategy: (retries: number, cause: Error) => {
            if (!connected && Date.now() >= deadline) return cause;
            return Math.min(2000, 50 * 2 ** Math.min(retries, 6)) * (0.5 + Math.random() / 2);
          },
        },
      },
    });
    cluster.on('error', (error: unknown) => options.onError?.(error));
    try {
      await cluster.connect();
    } catch (error) {
      cluster.destroy();
      throw unavailable(`cannot reach the Redis Cluster at ${options.urls.map(redactUrl).join(', ')}`, error);
    }
    connected = true;
    return new ClusterLink(cluster);
  }

  get ready(): boolean {
    return this.#cluster.isReady;
  }

  send<T>(key: string | undefined, args: readonly string[]): Promise<T> {
    return this.#cluster.sendCommand<T>(key, false, [...args]);
  }

  subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    return this.#cluster.sSubscribe(channel, listener);
  }

  unsubscribe(channel: string): Promise<void> {
    return this.#cluster.sUnsubscribe(channel);
  }

  onReconnect(): void {
    // The cluster client resubscribes by itself; hints lost meanwhile are caught by the poll.
  }

  async scan(match: string): Promise<string[]> {
    const keys: string[] = [];
    for (const master of this.#cluster.masters) {
      const client = await this.#cluster.nodeClient(master);
      for await (const batch of client.scanIterator({ MATCH: match, COUNT: 1000 })) keys.push(...batch);
    }
    return keys;
  }

  async everyPrimary(args: readonly string[]): Promise<void> {
    for (const master of this.#cluster.masters) await (await this.#cluster.nodeClient(master)).sendCommand([...args]);
  }

  async close(): Promise<void> {
    this.#cluster.destroy();
  }
}
