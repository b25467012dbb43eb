import {
  type AppendListener,
  AppendListeners,
  type AppendOptions,
  type AppendResult,
  checkSameBody,
  compileFilter,
  createStreamId,
  encodeEntryBody,
  type HealthCheckedStore,
  IDEMPOTENCY_TTL_MS,
  type IdentityChangingStore,
  type IdentityListener,
  isEmptyFilter,
  isLivelogError,
  LivelogError,
  type NewEntry,
  type ReadPage,
  type ReadQuery,
  type RetentionPolicy,
  type SourceInfo,
  type StoreBounds,
  type StoredEntry,
} from '@livelog/core';
import { type LogEntry, levelNumber } from '@livelog/protocol';
import { AppendFollower } from './append-follower.js';
import { connectRedis, type RedisConnection, unavailable, withTimeout } from './connect-redis.js';
import { LuaScript } from './lua-script.js';
import { APPEND_SCRIPT, PRUNE_SCRIPT, SEEK_TIME_SCRIPT, STATE_SCRIPT } from './lua-scripts.js';
import { type RedisKeys, redisKeys } from './redis-keys.js';
import { type RawStreamEntry, type StreamRow, seqOfId, toRows, toStored } from './stream-rows.js';

/** Options of the Redis Streams store. */
export interface RedisStreamStoreOptions {
  /** Where Redis is: `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. */
  url: string;
  /** Name of the stream; every key is `{name}:…`. Defaults to `livelog`. */
  key?: string;
  /** How long `open` keeps trying to reach Redis before it fails, in ms. Defaults to 10,000. */
  connectTimeoutMs?: number;
  /** Longest wait for one command's answer before the store reports Redis unavailable, in ms. Defaults to 10,000. */
  commandTimeoutMs?: number;
  /**
   * How long a read (replay, history, bounds) keeps retrying while the connection is down, in ms,
   * so that readers ride out a short cut instead of being disconnected. Appends never wait: they
   * fail at once so that the client can retry elsewhere. Defaults to 3,000.
   */
  readRetryMs?: number;
  /** XREAD BLOCK time of the append loop, in ms. Defaults to 5,000. */
  blockMs?: number;
  /** Most entries per XREAD of the append loop, and per XRANGE of a filtered history scan. Defaults to 1,000. */
  pageSize?: number;
  /** Called with each connection error; the store reconnects by itself. Defaults to ignoring them. */
  onError?: (error: unknown) => void;
}

type Client = RedisConnection;
type StateReply = [stream: string, last: string | null, firstId: string, created: string];
type AppendReply = [status: 'appended' | 'replayed', stream: string, first: string, last: string, digest: string, created: string];

const scripts = {
  state: new LuaScript(STATE_SCRIPT),
  append: new LuaScript(APPEND_SCRIPT),
  seekTime: new LuaScript(SEEK_TIME_SCRIPT),
  prune: new LuaScript(PRUNE_SCRIPT),
};

/**
 * A `LogStore` on Redis Streams, so that several livelog processes serve one stream and a reader may
 * resume on any of them.
 *
 * - One Lua script per batch assigns the seqs (a counter in the meta hash) and XADDs every entry with
 *   the explicit id `<seq>-0`: all processes agree on positions, a batch is atomic and costs one
 *   round trip, and retention never resets the counter.
 * - The stream identity lives in Redis: ids stay valid across processes and restarts, and when the
 *   keys are wiped a new identity is made, so old ids become foreign.
 * - Listeners are fed by one XREAD BLOCK loop per store on a connection of its own, never one per
 *   reader: they see every entry appended by any process, once, in order.
 * - While Redis cannot be reached, `append` rejects with LIVELOG_ERR_STORE_UNAVAILABLE and
 *   `isReady()` is false; nothing is acknowledged that Redis has not answered for.
 *
 * Durability is Redis's: an acknowledged batch survives a killed livelog process always, and a
 * Redis restart only with `appendonly yes` (`appendfsync always` to lose nothing on a Redis crash).
 * Redis must not evict these keys (`maxmemory-policy noeviction`).
 *
 * @see ../../../docs/guides/deploy-redis.md
 */
export class RedisStreamStore implements HealthCheckedStore, IdentityChangingStore {
  readonly kind = 'redis';
  readonly #options: Required<Omit<RedisStreamStoreOptions, 'onError'>> & Pick<RedisStreamStoreOptions, 'onError'>;
  readonly #keys: RedisKeys;
  readonly #listeners = new AppendListeners();
  readonly #identityListeners = new Set<IdentityListener>();
  readonly #pending = new Set<Promise<unknown>>();
  #client: Client | undefined;
  #follower: AppendFollower | undefined;
  #streamId = '';
  #opened = false;
  #closed = false;

  constructor(options: RedisStreamStoreOptions) {
    this.#options = {
      url: options.url,
      key: options.key ?? 'livelog',
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      commandTimeoutMs: options.commandTimeoutMs ?? 10_000,
      readRetryMs: options.readRetryMs ?? 3000,
      blockMs: options.blockMs ?? 5000,
      pageSize: options.pageSize ?? 1000,
      onError: options.onError,
    };
    this.#keys = redisKeys(this.#options.key);
  }

  get streamId(): string {
    return this.#streamId;
  }

  /** The Redis keys of this stream. */
  get keys(): RedisKeys {
    return this.#keys;
  }

  async open(): Promise<void> {
    if (this.#opened) return;
    if (this.#closed) throw new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the Redis store is closed');
    const connect = { url: this.#options.url, connectTimeoutMs: this.#options.connectTimeoutMs, onError: this.#options.onError };
    const client = await connectRedis({ ...connect, disableOfflineQueue: true });
    this.#client = client;
    let connection: RedisConnection | undefined;
    try {
      const state = await this.#state();
      // A connection of its own with an offline queue: an XREAD issued while reconnecting waits for
      // the connection instead of failing in a tight loop. A socket silent for longer than a block
      // is dead, and is replaced.
      connection = await connectRedis({ ...connect, disableOfflineQueue: false, socketTimeout: this.#options.blockMs + 10_000 });
      this.#follower = new AppendFollower({
        connection,
        keys: this.#keys,
        stream: state.stream,
        afterSeq: state.last,
        blockMs: this.#options.blockMs,
        pageSize: this.#options.pageSize,
        handlers: {
          onEntries: (entries) => this.#listeners.emit(entries),
          onIdentity: (stream) => this.#adopt(stream),
          onError: (error) => this.#options.onError?.(error),
        },
      });
    } catch (error) {
      this.#client = undefined;
      client.destroy();
      connection?.destroy();
      throw error;
    }
    this.#follower.start();
    this.#opened = true;
  }

  append(entries: readonly NewEntry[], options: AppendOptions = {}): Promise<AppendResult> {
    const done = this.#append(entries, options);
    this.#pending.add(done);
    const forget = (): void => {
      this.#pending.delete(done);
    };
    done.then(forget, forget);
    return done;
  }

  async #append(entries: readonly NewEntry[], options: AppendOptions): Promise<AppendResult> {
    const client = this.#requireClient();
    // Encoded before anything is sent, so an entry JSON cannot carry leaves Redis untouched.
    const args = [createStreamId(), String(Date.now()), options.bodyDigest ?? '', String(IDEMPOTENCY_TTL_MS)];
    for (const entry of entries) {
      if (!Number.isFinite(entry.time)) throw new TypeError(`entry time is not a finite number: ${entry.time}`);
      // The script writes the head (id and seq) once it has assigned the seq: see encodeEntryHead.
      args.push(String(entry.time), String(levelNumber(entry.level)), entry.source, encodeEntryBody(entry));
    }
    const keys = [this.#keys.meta, this.#keys.log, this.#keys.sourceCount, this.#keys.sourceLast];
    const key = options.idempotencyKey;
    if (key !== undefined) keys.push(this.#keys.idempotency(key));
    const [status, stream, first, last, digest] = await this.#call(() => scripts.append.run<AppendReply>(client, keys, args));
    this.#adopt(stream);
    if (status === 'replayed' && key !== undefined) checkSameBody(key, digest, options.bodyDigest);
    return { firstSeq: Number(first), lastSeq: Number(last), replayed: status === 'replayed' };
  }

  async readAfter(afterSeq: number, limit: number): Promise<StoredEntry[]> {
    const client = this.#requireClient();
    if (limit <= 0) return [];
    const start = `${Math.max(0, Math.floor(afterSeq)) + 1}-0`;
    const reply = await this.#read(() =>
      client.sendCommand<RawStreamEntry[]>(['XRANGE', this.#keys.log, start, '+', 'COUNT', String(Math.floor(limit))]),
    );
    return toRows(reply).map(toStored);
  }

  /**
   * Redis cannot filter a stream, so a filtered page scans the range in XRANGE / XREVRANGE pages and
   * filters here: level and source from the entry's stream fields, text from its JSON. Each Redis
   * call reads at most `pageSize` entries, so Redis is never held long; the whole scan stops at the
   * first `limit + 1` matches or the end of the range, as SQLite's unindexed text search does.
   */
  async read(query: ReadQuery): Promise<ReadPage> {
    const client = this.#requireClient();
    let low = (query.after ?? 0) + 1;
    let high = query.before === undefined ? Number.MAX_SAFE_INTEGER : query.before - 1;
    const backward = query.direction === 'backward';
    const filtered = !isEmptyFilter(query.filter);
    const matches = filtered ? this.#rowFilter(query) : () => true;
    const found: StoredEntry[] = [];
    const want = query.limit + 1;
    while (low <= high && found.length < want) {
      const count = filtered ? this.#options.pageSize : want - found.length;
      const from = `${low}-0`;
      const to = high === Number.MAX_SAFE_INTEGER ? '+' : `${high}-0`;
      const command = backward
        ? ['XREVRANGE', this.#keys.log, to, from, 'COUNT', String(count)]
        : ['XRANGE', this.#keys.log, from, to, 'COUNT', String(count)];
      const rows = toRows(await this.#read(() => client.sendCommand<RawStreamEntry[]>(command)));
      for (const row of rows) {
        if (found.length === want) break;
        if (matches(row)) found.push(toStored(row));
      }
      const lastRow = rows[rows.length - 1];
      if (lastRow === undefined || rows.length < count) break;
      if (backward) high = lastRow.seq - 1;
      else low = lastRow.seq + 1;
    }
    const hasMore = found.length > query.limit;
    const entries = found.slice(0, query.limit);
    if (backward) entries.reverse();
    return { entries, hasMore };
  }

  #rowFilter(query: ReadQuery): (row: StreamRow) => boolean {
    const filter = query.filter ?? {};
    const minLevel = filter.level === undefined ? 0 : levelNumber(filter.level);
    const sources = filter.sources !== undefined && filter.sources.length > 0 ? new Set(filter.sources) : undefined;
    // The level and source are checked on the stream fields first, so only candidates are parsed.
    const text = filter.q ? compileFilter({ q: filter.q }) : undefined;
    return (row) =>
      row.level >= minLevel &&
      (sources === undefined || sources.has(row.source)) &&
      (text === undefined || text(JSON.parse(row.json) as LogEntry));
  }

  async bounds(): Promise<StoreBounds> {
    this.#requireClient();
    const { first, last } = await this.#state();
    return { first, last };
  }

  async seqBeforeTime(time: number): Promise<number> {
    const client = this.#requireClient();
    const reply = await this.#read(() => scripts.seekTime.run<string>(client, [this.#keys.meta, this.#keys.log], [String(time)]));
    return Number(reply);
  }

  async sources(): Promise<SourceInfo[]> {
    const client = this.#requireClient();
    const [counts, lasts] = (await this.#read(() =>
      client.multi().hGetAll(this.#keys.sourceCount).hGetAll(this.#keys.sourceLast).exec(),
    )) as unknown as [Record<string, string>, Record<string, string>];
    return Object.keys(counts)
      .sort((a, b) => a.localeCompare(b))
      .map((name) => {
        const last = lasts[name] ?? '0:0';
        const colon = last.indexOf(':');
        return { name, entries: Number(counts[name]), lastSeq: Number(last.slice(0, colon)), lastTime: Number(last.slice(colon + 1)) };
      });
  }

  async prune(policy: RetentionPolicy, batchSize: number): Promise<number> {
    if (this.#closed || this.#client === undefined || batchSize <= 0) return 0;
    const client = this.#client;
    const limit = (value: number | undefined): string => (value === undefined ? '' : String(value));
    const cutoff = policy.maxAgeMs === undefined ? undefined : Date.now() - policy.maxAgeMs;
    const removed = await this.#call(() =>
      scripts.prune.run<number>(
        client,
        [this.#keys.meta, this.#keys.log],
        [limit(policy.maxEntries), limit(policy.maxBytes), limit(cutoff), String(Math.floor(batchSize))],
      ),
    );
    return Number(removed);
  }

  /** True while both connections are up and Redis answers a PING within a second. */
  async isReady(): Promise<boolean> {
    const client = this.#client;
    if (this.#closed || client === undefined || !client.isReady || this.#follower?.connected !== true) return false;
    try {
      await withTimeout(client.ping(), 1000);
      return true;
    } catch {
      return false;
    }
  }

  onAppend(listener: AppendListener): () => void {
    return this.#listeners.add(listener);
  }

  /**
   * Registers a listener for a change of the stream identity while the store is open: the keys were
   * wiped (FLUSHALL, DEL, a Redis restart without persistence) and a new stream began. Every cursor
   * of the old identity is then foreign; `createEngine` ends its readers so that they reconnect.
   */
  onIdentityChange(listener: IdentityListener): () => void {
    this.#identityListeners.add(listener);
    return () => this.#identityListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#pending]);
    await this.#follower?.stop();
    const client = this.#client;
    if (client?.isOpen) {
      if (client.isReady) await client.close().catch(() => client.destroy());
      else client.destroy();
    }
  }

  async #state(): Promise<{ stream: string; first: number; last: number }> {
    const client = this.#requireClient(true);
    const keys = [this.#keys.meta, this.#keys.log, this.#keys.sourceCount, this.#keys.sourceLast];
    const [stream, lastText, firstId] = await this.#read(() =>
      scripts.state.run<StateReply>(client, keys, [createStreamId(), String(Date.now())]),
    );
    this.#adopt(stream);
    const last = Number(lastText ?? 0);
    return { stream, first: firstId === '' ? last + 1 : seqOfId(firstId), last };
  }

  /** Takes the identity Redis reports; tells listeners when it is not the one held. */
  #adopt(stream: string): void {
    if (stream === this.#streamId) return;
    const previous = this.#streamId;
    this.#streamId = stream;
    if (previous === '') return;
    for (const listener of this.#identityListeners) {
      try {
        listener(stream);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Runs a call that changes nothing (or nothing twice), retrying it while the connection is down. */
  async #read<T>(run: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#options.readRetryMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#call(run);
      } catch (error) {
        const retry = isLivelogError(error) && error.code === 'LIVELOG_ERR_STORE_UNAVAILABLE' && !this.#closed && Date.now() < deadline;
        if (!retry) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(250, 25 * 2 ** attempt)));
      }
    }
  }

  /** Runs one Redis call; any failure of Redis or of the connection becomes LIVELOG_ERR_STORE_UNAVAILABLE. */
  async #call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(run(), this.#options.commandTimeoutMs);
    } catch (error) {
      if (isLivelogError(error)) throw error;
      if (error instanceof Error && error.message.startsWith('LIVELOG_CORRUPT')) {
        throw new LivelogError('LIVELOG_ERR_INTERNAL', `the Redis stream is inconsistent: ${error.message}`, { cause: error });
      }
      throw unavailable(
        'Redis did not complete the request; an append may or may not be stored, retry with the same Idempotency-Key',
        error,
      );
    }
  }

  #requireClient(opening = false): Client {
    if (this.#closed || this.#client === undefined || (!opening && !this.#opened)) {
      throw new LivelogError('LIVELOG_ERR_STORE_CLOSED', this.#closed ? 'the Redis store is closed' : 'the Redis store is not open');
    }
    return this.#client;
  }
}
