import {
  type AppendListener,
  AppendListeners,
  type AppendOptions,
  type AppendResult,
  checkSameBody,
  type EndListener,
  type EndRequest,
  type HealthCheckedStore,
  type IdentityChangingStore,
  type IdentityListener,
  LivelogError,
  type LogDatabase,
  type LogStore,
  type NewEntry,
  type ReadPage,
  type ReadQuery,
  type RetentionPolicy,
  type SourceInfo,
  type SourcesQuery,
  type StoreBounds,
  type StoredEntry,
  type StoredStreamInfo,
  streamNotFound,
} from '@livelog/core';
import type { EndInfo } from '@livelog/protocol';
import { appendCall } from './append-call.js';
import { withTimeout } from './connect-redis.js';
import { KnownStream } from './known-stream.js';
import { call, read } from './redis-calls.js';
import { readHistory } from './redis-history.js';
import { allStreamKeys, type RedisKeys } from './redis-keys.js';
import { readSources } from './redis-sources.js';
import { streamInfo } from './redis-stream-info.js';
import { StreamFollower } from './stream-follower.js';
import type { StreamHost } from './stream-host.js';
import { type RawStreamEntry, seqOfId, toRows, toStored } from './stream-rows.js';
import { type AppendReply, type EndReply, type StateReply, streamScripts as scripts } from './stream-scripts.js';

/** What owns a handle's database, when the handle does (see `createRedisStore`). */
export interface StoreOwner {
  open(): Promise<void>;
  close(): Promise<void>;
}

/**
 * One stream of a Redis database (see `RedisLogDatabase`): a `LogStore` whose keys all share the
 * stream's hash tag, so that every change of the stream is one Lua script on one cluster slot, and
 * several livelog processes serve the stream with the same positions.
 *
 * - The append script assigns seqs (a counter in the meta hash), XADDs every entry with the explicit
 *   id `<seq>-0`, checks and remembers the idempotency key, refuses an ended stream, and publishes a
 *   hint on the stream's channel: one round trip per batch, atomic.
 * - The stream identity lives in Redis; when the stream's keys are wiped the next write makes a new
 *   one, and a handle that is followed (it has listeners) reports the change.
 * - Listeners are fed by a `StreamFollower` that exists only while the handle has listeners.
 * - While Redis cannot be reached, `append` rejects with LIVELOG_ERR_STORE_UNAVAILABLE.
 */
export class RedisStreamStore implements LogStore, HealthCheckedStore, IdentityChangingStore {
  readonly kind = 'redis';
  readonly name: string;
  readonly keys: RedisKeys;
  readonly #host: StreamHost;
  readonly #listeners = new AppendListeners();
  #listenerCount = 0;
  readonly #pending = new Set<Promise<unknown>>();
  readonly #known = new KnownStream();
  #follower: StreamFollower | undefined;
  #unfollow: (() => void) | undefined;
  #deleted = false;
  #closed = false;
  /** Labels JSON the stream gets if a write of this handle creates it ('' for none). */
  #createLabels = '';
  /** A handle made by `createRedisStore` owns its database: it opens and closes it. */
  readonly #owner: StoreOwner | undefined;

  constructor(host: StreamHost, name: string, keys: RedisKeys, owner?: StoreOwner) {
    this.#host = host;
    this.name = name;
    this.keys = keys;
    this.#owner = owner;
  }

  /**
   * The database this stream belongs to: `createEngine({ store })` serves all of its streams, so a
   * Fastify plugin given `createRedisStore(url)` serves every stream of that Redis.
   */
  get database(): LogDatabase {
    return this.#host.database;
  }

  get streamId(): string {
    return this.#known.id;
  }

  /** True once the handle has seen its stream in Redis. */
  get known(): boolean {
    return this.#known.confirmed;
  }

  /** Labels the stream gets if a write through this handle creates it. */
  labelsOnCreate(labels: Record<string, string> | undefined): void {
    if (labels !== undefined && Object.keys(labels).length > 0) this.#createLabels = JSON.stringify(labels);
  }

  /** Reads the stream's state; creates nothing (the first write does). */
  async open(): Promise<void> {
    await this.#owner?.open();
    await this.#state();
  }

  /** True when the stream exists in Redis (and adopts its identity and end). */
  async exists(): Promise<boolean> {
    const state = await this.#state();
    return state.exists;
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
    this.#check();
    const { link, settings } = this.#host;
    const key = options.idempotencyKey ?? '';
    const { keys, args } = appendCall(this.keys, entries, options, {
      publishCommand: link.publishCommand,
      candidate: this.#known.candidate(),
      createLabels: this.#createLabels,
      settings,
    });
    const reply = await this.#call(() => scripts.append.run<AppendReply>(link, keys, args)).catch((error: unknown) => {
      this.#noteEnded(error);
      throw error;
    });
    const [status, stream, first, last, digest, , listed] = reply;
    this.#known.adopt(stream);
    this.#known.seen(Number(last));
    if (status === 'replayed' && key !== '') checkSameBody(key, digest, options.bodyDigest);
    // Registering records the activity of this write; a touch would move the stream once more, later.
    if (listed !== '1') await this.#host.register(this.name, stream);
    else if (status === 'appended') this.#host.touch(this.name);
    return { firstSeq: Number(first), lastSeq: Number(last), replayed: status === 'replayed' };
  }

  async end(request: EndRequest = {}): Promise<EndInfo> {
    this.#check();
    const end: EndInfo = { time: Date.now() };
    if (request.exitCode !== undefined) end.exitCode = request.exitCode;
    if (request.reason !== undefined) end.reason = request.reason;
    const { link } = this.#host;
    const args = [this.keys.hints, link.publishCommand, this.#known.candidate(), JSON.stringify(end), this.#createLabels];
    const [stream, last, , listed] = await this.#call(() => scripts.end.run<EndReply>(link, allStreamKeys(this.keys), args)).catch(
      (error: unknown) => {
        this.#noteEnded(error);
        throw error;
      },
    );
    this.#known.adopt(stream);
    this.#known.seen(Number(last));
    if (listed !== '1') await this.#host.register(this.name, stream);
    this.#host.announceEnded(this.name);
    if (this.#follower !== undefined) this.#follower.poll();
    else this.#known.ended(JSON.stringify(end));
    return end;
  }

  ended(): EndInfo | undefined {
    return this.#known.end;
  }

  onEnd(listener: EndListener): () => void {
    return this.#known.onEnd(listener);
  }

  async readAfter(afterSeq: number, limit: number): Promise<StoredEntry[]> {
    this.#check();
    if (limit <= 0) return [];
    const start = `${Math.max(0, Math.floor(afterSeq)) + 1}-0`;
    const { link } = this.#host;
    const reply = await this.#read(() =>
      link.send<RawStreamEntry[]>(this.keys.log, ['XRANGE', this.keys.log, start, '+', 'COUNT', String(Math.floor(limit))]),
    );
    return toRows(reply).map(toStored);
  }

  read(query: ReadQuery): Promise<ReadPage> {
    this.#check();
    return readHistory(query, this.#host.settings, (command) => {
      command[1] = this.keys.log;
      return this.#read(() => this.#host.link.send<RawStreamEntry[]>(this.keys.log, command));
    });
  }

  async bounds(): Promise<StoreBounds> {
    this.#check();
    const { first, last } = await this.#state();
    return { first, last };
  }

  async info(): Promise<StoredStreamInfo> {
    this.#check();
    const info = await this.#read(() => streamInfo(this.#host.link, this.name, this.keys));
    if (info === undefined) throw this.#notFound();
    this.#known.adopt(info.identity);
    this.#known.keepEnd(info.end);
    return info;
  }

  async seqBeforeTime(time: number): Promise<number> {
    this.#check();
    const reply = await this.#read(() => scripts.seekTime.run<string>(this.#host.link, [this.keys.meta, this.keys.log], [String(time)]));
    return Number(reply);
  }

  async sources(query: SourcesQuery = {}): Promise<SourceInfo[]> {
    this.#check();
    const { link } = this.#host;
    return this.#read(() => readSources(link, this.keys, query));
  }

  prune(policy: RetentionPolicy, batchSize: number): Promise<number> {
    return this.pruneWith(policy, batchSize, false);
  }

  /**
   * Prunes by `policy`; with `ownWins`, the stream's own retention (set by `setStream`) overrides
   * the limits it sets, read inside the script (one call per stream in a database pass).
   */
  async pruneWith(policy: RetentionPolicy, batchSize: number, ownWins: boolean): Promise<number> {
    if (this.#closed || this.#deleted || batchSize <= 0) return 0;
    const limit = (value: number | undefined): string => (value === undefined ? '' : String(value));
    const removed = await this.#call(() =>
      scripts.prune.run<number>(this.#host.link, allStreamKeys(this.keys), [
        limit(policy.maxEntries),
        limit(policy.maxBytes),
        limit(policy.maxAgeMs),
        String(Math.floor(batchSize)),
        ownWins ? '1' : '0',
      ]),
    );
    return Number(removed);
  }

  /** True while the connections are up and Redis answers a PING within a second. */
  async isReady(): Promise<boolean> {
    const { link } = this.#host;
    if (this.#closed || !link.ready) return false;
    try {
      await withTimeout(link.send(this.keys.meta, ['PING']), 1000);
      return true;
    } catch {
      return false;
    }
  }

  onAppend(listener: AppendListener): () => void {
    const remove = this.#listeners.add(listener);
    this.#listenerCount++;
    if (this.#follower === undefined && !this.#closed) {
      // Followed from the newest seq this handle knows: a listener may see a few entries from before
      // it registered (the broker drops them), never miss one after.
      const follower = new StreamFollower(
        this.#host.link,
        this.#followerHost(),
        this.#known.id,
        this.#known.lastSeq,
        this.#host.settings.pageSize,
      );
      this.#follower = follower;
      this.#unfollow = this.#host.follow(follower);
    }
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      remove();
      if (--this.#listenerCount === 0) this.#stopFollowing();
    };
  }

  /**
   * Registers a listener for a change of the stream identity: the stream's keys were wiped and it was
   * written again. Reported while the handle is followed (has listeners), or when a call of this
   * handle meets the new identity.
   */
  onIdentityChange(listener: IdentityListener): () => void {
    return this.#known.onIdentityChange(listener);
  }

  /** Finishes pending appends and stops following; a handle of `createRedisStore` also closes its database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#pending]);
    this.#stopFollowing();
    await this.#owner?.close();
  }

  /** The stream was deleted (by this process or another): every call now rejects, readers are told. */
  markDeleted(): void {
    if (this.#deleted) return;
    this.#deleted = true;
    this.#stopFollowing();
  }

  get deleted(): boolean {
    return this.#deleted;
  }

  #followerHost() {
    return {
      keys: this.keys,
      onEntries: (entries: StoredEntry[]) => {
        const last = entries[entries.length - 1];
        if (last !== undefined) this.#known.seen(last.seq);
        this.#listeners.emit(entries);
      },
      onIdentity: (stream: string) => this.#known.adopt(stream),
      onEnd: (json: string) => this.#known.ended(json),
      onDeleted: (identity: string) => this.#host.onDeletedElsewhere(this.name, identity),
      onError: (error: unknown) => this.#host.calls.onError?.(error),
    };
  }

  #stopFollowing(): void {
    this.#follower?.stop();
    this.#unfollow?.();
    this.#follower = undefined;
    this.#unfollow = undefined;
  }

  #noteEnded(error: unknown): void {
    if (error instanceof LivelogError && error.code === 'LIVELOG_ERR_STREAM_ENDED' && this.#known.end === undefined) {
      void this.#state().catch(() => undefined);
    }
  }

  async #state(): Promise<{ exists: boolean; first: number; last: number }> {
    this.#check();
    const keys = [this.keys.meta, this.keys.log];
    const [stream, lastText, firstId, end] = await this.#read(() => scripts.state.run<StateReply>(this.#host.link, keys, []));
    if (stream !== '') this.#known.adopt(stream);
    const last = Number(lastText);
    this.#known.seen(last);
    this.#known.learnEnd(end);
    return { exists: stream !== '', first: firstId === '' ? last + 1 : seqOfId(firstId), last };
  }

  /** The identity a write creates the stream with if it does not exist (see KnownStream.candidate). */
  candidateIdentity(): string {
    return this.#known.candidate();
  }

  #call<T>(run: () => Promise<T>): Promise<T> {
    return call(this.#host.calls, run);
  }

  #read<T>(run: () => Promise<T>): Promise<T> {
    return read(this.#host.calls, run);
  }

  #check(): void {
    if (this.#closed) throw new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the Redis store is closed');
    if (this.#deleted) throw this.#notFound();
  }

  #notFound(): LivelogError {
    return streamNotFound(this.name);
  }
}
