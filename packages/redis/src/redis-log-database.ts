import { randomUUID } from 'node:crypto';
import {
  badStreamName,
  DEFAULT_SCAN_BUDGET,
  IDEMPOTENCY_MAX_KEYS,
  IDEMPOTENCY_TTL_MS,
  type ListStreamsPage,
  type ListStreamsQuery,
  LivelogError,
  type LogDatabase,
  type OpenStreamOptions,
  PAGE_UNITS,
  type RetentionPolicy,
  type SetStreamOptions,
  type StoredStreamInfo,
  type StreamChange,
  type StreamChangeListener,
  StreamChanges,
} from '@livelog/core';
import { isStreamName } from '@livelog/protocol';
import { withTimeout } from './connect-redis.js';
import { FollowerHub } from './follower-hub.js';
import { LuaScript, loadScripts } from './lua-script.js';
import { DELETE_SCRIPT, SET_SCRIPT } from './lua-scripts.js';
import type { CallOptions } from './redis-calls.js';
import { call } from './redis-calls.js';
import { allStreamKeys, checkPrefix, streamKeys } from './redis-keys.js';
import { openLink, type RedisLink } from './redis-link.js';
import { pruneStreams } from './redis-prune.js';
import { RedisStreamStore } from './redis-stream-store.js';
import type { StreamHost, StreamSettings } from './stream-host.js';
import { listStreams } from './stream-list.js';
import { StreamRegistry } from './stream-registry.js';

/** Options of the Redis database. */
export interface RedisLogDatabaseOptions {
  /** One Redis (`redis://…`, `rediss://…`), or for a cluster the seed nodes' URLs. */
  urls: readonly string[];
  /** True for a Redis Cluster (node-redis `createCluster`). */
  cluster?: boolean;
  /** First part of every key (`<prefix>:{<name>}:…`); the URL's `key` parameter. Defaults to `livelog`. */
  prefix?: string;
  /** How long `open` keeps trying to reach Redis before it fails, in ms. Defaults to 10,000. */
  connectTimeoutMs?: number;
  /** Longest wait for one command's answer before the store reports Redis unavailable, in ms. Defaults to 10,000. */
  commandTimeoutMs?: number;
  /** How long a read keeps retrying while the connection is down, in ms. Defaults to 3,000. */
  readRetryMs?: number;
  /** How often each followed stream (one with readers here) checks its state in Redis, in ms. Defaults to 2,000. */
  pollMs?: number;
  /** Most entries per XRANGE of a catch-up or a filtered history scan. Defaults to 1,000. */
  pageSize?: number;
  /**
   * Wall time after which a filtered history read answers what it found so far, with `hasMore` and a
   * `resume` position, instead of scanning on (as the SQLite store's scan budget does). Defaults to 200 ms.
   */
  scanMaxMs?: number;
  /** Stored JSON of one history page, in UTF-16 code units: a page of large entries is shorter than `limit`. Defaults to 4 MiB. */
  pageUnits?: number;
  /** Most idempotency keys remembered per stream. Defaults to 100,000. */
  idempotencyMaxKeys?: number;
  /** Lifetime of an idempotency key, in ms. Defaults to 24 h. */
  idempotencyTtlMs?: number;
  /** Most streams one `prune` call examines (it walks the registry round-robin). Defaults to 200. */
  pruneStreamsPerCall?: number;
  /** Called with each connection error; the connections come back by themselves. */
  onError?: (error: unknown) => void;
}

const setScript = new LuaScript(SET_SCRIPT);
const deleteScript = new LuaScript(DELETE_SCRIPT);

/**
 * Many named streams on one Redis or Redis Cluster (see docs/guides/deploy-redis.md):
 * - each stream's keys share the hash tag `{<name>}`, so every write of a stream is one Lua script on
 *   one slot (seq, idempotency and end atomic per stream) and a cluster spreads streams over shards;
 * - a registry on the `{<prefix>}` slot lists the streams, updated after each stream's script (a
 *   stream may be listed late, never lost; see `StreamRegistry`);
 * - a stream with readers here is followed through a Pub/Sub hint per append plus XRANGE catch-up,
 *   with one shared poll timer; a stream nobody reads here costs no connection, timer or memory.
 */
export class RedisLogDatabase implements LogDatabase {
  readonly kind = 'redis';
  readonly prefix: string;
  readonly #options: RedisLogDatabaseOptions;
  readonly #settings: StreamSettings;
  /**
   * Handles by name, held weakly: whoever holds a handle (a broker, a request) gets the same one back,
   * and the handles of streams nobody uses any more are collected, so 10,000 written streams cost no
   * memory here. A followed handle is held by its follower.
   */
  readonly #handles = new Map<string, WeakRef<RedisStreamStore>>();
  readonly #collected = new FinalizationRegistry<{ name: string; ref: WeakRef<RedisStreamStore> }>(({ name, ref }) => {
    if (this.#handles.get(name) === ref) this.#handles.delete(name);
  });
  readonly #changes = new StreamChanges();
  readonly #followers: FollowerHub;
  /** `<name> <identity>` deleted by other processes in the last seconds, so that one delete is announced once. */
  readonly #recentlyDeleted = new Map<string, number>();
  readonly #calls: CallOptions;
  #link: RedisLink | undefined;
  #registry: StreamRegistry | undefined;
  #opening: Promise<void> | undefined;
  #closed = false;
  #pruneCursor: string | undefined;
  readonly #host: StreamHost;

  constructor(options: RedisLogDatabaseOptions) {
    this.#options = options;
    this.#followers = new FollowerHub(options.pollMs ?? 2000, options.onError);
    this.prefix = checkPrefix(options.prefix ?? 'livelog');
    this.#settings = {
      pageSize: options.pageSize ?? 1000,
      scanMaxMs: options.scanMaxMs ?? DEFAULT_SCAN_BUDGET.maxMs,
      pageUnits: options.pageUnits ?? PAGE_UNITS,
      idempotencyTtlMs: options.idempotencyTtlMs ?? IDEMPOTENCY_TTL_MS,
      idempotencyMaxKeys: options.idempotencyMaxKeys ?? IDEMPOTENCY_MAX_KEYS,
    };
    this.#calls = {
      commandTimeoutMs: options.commandTimeoutMs ?? 10_000,
      readRetryMs: options.readRetryMs ?? 3000,
      closed: () => this.#closed,
      onError: options.onError,
    };
    const requireLink = (): RedisLink => this.#requireLink();
    this.#host = {
      database: this,
      get link(): RedisLink {
        return requireLink();
      },
      calls: this.#calls,
      settings: this.#settings,
      register: (name, identity, hasRetention) => this.#register(name, identity, hasRetention),
      touch: (name) => this.#registry?.touch(name),
      announceEnded: (name) => {
        this.#emit({ type: 'ended', name });
        this.#registry?.announce('ended', name).catch((error: unknown) => this.#options.onError?.(error));
      },
      onDeletedElsewhere: (name, identity) => this.#deletedElsewhere(name, identity),
      follow: (follower) => this.#followers.follow(this.#requireLink(), follower),
    };
  }

  open(): Promise<void> {
    if (this.#closed) return Promise.reject(new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the Redis store is closed'));
    this.#opening ??= this.#open().catch((error: unknown) => {
      this.#opening = undefined;
      throw error;
    });
    return this.#opening;
  }

  async #open(): Promise<void> {
    const link = await openLink({
      urls: this.#options.urls,
      cluster: this.#options.cluster ?? false,
      connectTimeoutMs: this.#options.connectTimeoutMs ?? 10_000,
      onError: this.#options.onError,
    });
    try {
      await loadScripts(link);
      const registry = new StreamRegistry(link, this.prefix, this.#calls, randomUUID());
      await link.subscribe(registry.keys.changes, (message) => this.#onChangeMessage(message));
      link.onReconnect(() => {
        // A Redis back from a restart has lost its script cache: load it again before most calls.
        loadScripts(link).catch((error: unknown) => this.#options.onError?.(error));
        this.#followers.pollAll();
      });
      this.#link = link;
      this.#registry = registry;
      await registry.repair();
    } catch (error) {
      this.#link = undefined;
      await link.close().catch(() => undefined);
      throw error;
    }
  }

  async stream(name: string): Promise<RedisStreamStore | undefined> {
    if (!isStreamName(name)) return undefined;
    const handle = this.#handle(name);
    return (await handle.exists()) ? handle : undefined;
  }

  async openStream(name: string, options: OpenStreamOptions = {}): Promise<RedisStreamStore> {
    checkName(name);
    const handle = this.#handle(name);
    handle.labelsOnCreate(options.labels);
    // A handle that has seen its stream needs no read: the write it is opened for says the rest, and
    // while Redis is down that write fails at once (503) instead of after the reads' retries.
    if (!handle.known) await handle.open();
    return handle;
  }

  async setStream(name: string, options: SetStreamOptions): Promise<StoredStreamInfo> {
    checkName(name);
    const link = this.#requireLink();
    const handle = this.#handle(name);
    const labels = options.labels === undefined ? '' : JSON.stringify(options.labels);
    const retention = options.retention === undefined ? '' : options.retention === null ? '-' : JSON.stringify(options.retention);
    const keys = allStreamKeys(handle.keys);
    const [identity, , listed] = await call(this.#calls, () =>
      setScript.run<string[]>(link, keys, [handle.candidateIdentity(), labels, retention]),
    );
    const hasRetention = options.retention === undefined ? undefined : options.retention !== null;
    if (listed !== '1' || hasRetention !== undefined) await this.#register(name, identity as string, hasRetention);
    return handle.info();
  }

  list(query: ListStreamsQuery): Promise<ListStreamsPage> {
    return listStreams(this.#requireRegistry(), this.#requireLink(), this.#calls, (name) => streamKeys(this.prefix, name), query);
  }

  async delete(name: string): Promise<boolean> {
    if (!isStreamName(name)) return false;
    const link = this.#requireLink();
    const keys = streamKeys(this.prefix, name);
    const identity = await call(this.#calls, () => deleteScript.run<string>(link, allStreamKeys(keys), [keys.hints, link.publishCommand]));
    // After the keys, and only the identity deleted (or, for keys wiped by hand, the one listed): a
    // stream written again meanwhile has another identity and stays listed.
    const registry = this.#requireRegistry();
    const listedAs = identity === '' ? await registry.identity(name) : identity;
    if (listedAs !== null) await registry.unregister(name, listedAs);
    this.#forget(name);
    if (identity === '') return false;
    this.#emit({ type: 'deleted', name });
    return true;
  }

  onStreamChange(listener: StreamChangeListener): () => void {
    return this.#changes.add(listener);
  }

  async prune(defaults: RetentionPolicy, batchSize: number): Promise<number> {
    if (this.#closed || this.#link === undefined) return 0;
    const result = await pruneStreams({
      registry: this.#requireRegistry(),
      defaults,
      batchSize,
      streamsPerCall: this.#options.pruneStreamsPerCall ?? 200,
      cursor: this.#pruneCursor,
      handle: (name) => this.#handle(name),
    });
    this.#pruneCursor = result.cursor;
    return result.removed;
  }

  async isReady(): Promise<boolean> {
    const link = this.#link;
    if (this.#closed || link === undefined || !link.ready) return false;
    try {
      await withTimeout(link.send(this.#requireRegistry().keys.names, ['PING']), 1000);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#opening?.catch(() => undefined);
    await Promise.allSettled([...this.#handles.values()].map((ref) => ref.deref()?.close()));
    this.#followers.stop();
    await this.#registry?.stop().catch(() => undefined);
    await this.#link?.close();
  }

  /** The cached handle of `name` (made on first use; a deleted stream's handle is replaced). */
  #handle(name: string): RedisStreamStore {
    const cached = this.#handles.get(name)?.deref();
    if (cached !== undefined && !cached.deleted) return cached;
    this.#requireLink();
    const handle = new RedisStreamStore(this.#host, name, streamKeys(this.prefix, name));
    const ref = new WeakRef(handle);
    this.#handles.set(name, ref);
    this.#collected.register(handle, { name, ref });
    return handle;
  }

  /** The handle of `default` that `createRedisStore` gives out: it opens and closes this database. */
  ownedDefaultHandle(): RedisStreamStore {
    const owner = { open: () => this.open(), close: () => this.close() };
    return new RedisStreamStore(this.#host, 'default', streamKeys(this.prefix, 'default'), owner);
  }

  async #register(name: string, identity: string, hasRetention?: boolean): Promise<void> {
    const created = await this.#requireRegistry().register(name, identity, streamKeys(this.prefix, name), hasRetention);
    if (created) this.#emit({ type: 'created', name });
  }

  #onChangeMessage(message: string): void {
    const [type, name, origin, identity = ''] = message.split(' ');
    if (name === undefined || origin === this.#registry?.origin) return;
    if (type === 'deleted') this.#deletedElsewhere(name, identity);
    else if (type === 'created' || type === 'ended') {
      if (type === 'ended')
        void this.#handles
          .get(name)
          ?.deref()
          ?.exists()
          .catch(() => undefined);
      this.#emit({ type, name });
    }
  }

  /**
   * Another process deleted `name`: told by the stream's hint (when followed here) and by the changes
   * channel, which may travel on different connections (different shards): the first one announces
   * it, the other within a few seconds is the same delete.
   */
  #deletedElsewhere(name: string, identity: string): void {
    const now = Date.now();
    for (const [seen, at] of this.#recentlyDeleted) if (now - at > 10_000) this.#recentlyDeleted.delete(seen);
    const key = `${name} ${identity}`;
    if (this.#recentlyDeleted.has(key)) return;
    this.#recentlyDeleted.set(key, now);
    this.#forget(name);
    this.#emit({ type: 'deleted', name });
  }

  #forget(name: string): void {
    this.#handles.get(name)?.deref()?.markDeleted();
    this.#handles.delete(name);
  }

  #emit(change: StreamChange): void {
    this.#changes.emit(change);
  }

  #requireLink(): RedisLink {
    if (this.#closed) throw new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the Redis store is closed');
    if (this.#link === undefined) throw new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the Redis store is not open');
    return this.#link;
  }

  #requireRegistry(): StreamRegistry {
    this.#requireLink();
    return this.#registry as StreamRegistry;
  }
}

function checkName(name: string): void {
  if (!isStreamName(name)) throw badStreamName(name);
}
