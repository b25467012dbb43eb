import { DEFAULT_STREAM, type EndInfo } from '@livelog/protocol';
import type { NewEntry } from '../entry/new-entry.js';
import { type IdentityListener, isIdentityChanging } from './identity-changing-store.js';
import type { ListStreamsPage, ListStreamsQuery, LogDatabase, SetStreamOptions, StreamChangeListener } from './log-database.js';
import {
  type AppendListener,
  type AppendOptions,
  type AppendResult,
  type BasicLogStore,
  type EndListener,
  type EndRequest,
  isHealthChecked,
  type LogStore,
  type ReadPage,
  type ReadQuery,
  type RetentionPolicy,
  type SourceInfo,
  type SourcesQuery,
  type StoreBounds,
  type StoredEntry,
  type StoredStreamInfo,
} from './log-store.js';
import { pageSources } from './source-pages.js';
import { StreamChanges } from './stream-changes.js';
import { streamEnded, streamNotFound } from './stream-errors.js';
import { matchesListQuery } from './stream-list.js';

/** True when `store` has the stream members of a LogStore (name, end, info). */
export function isLogStore(store: BasicLogStore): store is LogStore {
  const candidate = store as Partial<LogStore>;
  return typeof candidate.end === 'function' && typeof candidate.info === 'function' && typeof candidate.name === 'string';
}

/** `store` as a LogStore: itself when it is one, else `default` with an end held in memory. */
export function asLogStore(store: BasicLogStore): LogStore {
  return isLogStore(store) ? store : new SingleStream(store);
}

/**
 * A database of one stream, `default`, over a store that holds only one: a store handed to
 * `createEngine({ store })`, or a store of a provider that knows no streams yet. Other names are not
 * found. The end of a store without one of its own is kept in memory only (lost on restart).
 */
export function singleStreamDatabase(store: BasicLogStore): LogDatabase {
  const stream = asLogStore(store);
  const changes = new StreamChanges();
  stream.onEnd(() => changes.emit({ type: 'ended', name: stream.name }));
  const only = async (name: string): Promise<LogStore> => {
    if (name !== stream.name) throw streamNotFound(name);
    return stream;
  };
  return {
    kind: store.kind,
    open: () => store.open(),
    close: () => store.close(),
    stream: async (name) => (name === stream.name ? stream : undefined),
    openStream: (name) => only(name),
    async setStream(name: string, _options: SetStreamOptions): Promise<StoredStreamInfo> {
      return (await only(name)).info();
    },
    async list(query: ListStreamsQuery): Promise<ListStreamsPage> {
      const info = await stream.info();
      const listed = matchesListQuery(info.name, info.labels, query) && query.after === undefined && query.limit > 0;
      return { streams: listed ? [info] : [] };
    },
    delete: async () => false,
    onStreamChange: (listener: StreamChangeListener) => changes.add(listener),
    prune: (defaults: RetentionPolicy, batchSize: number) => stream.prune(defaults, batchSize),
    isReady: async () => (isHealthChecked(store) ? store.isReady() : true),
  };
}

/** The LogStore of a store without stream members: `default`, with an end held in memory. */
class SingleStream implements LogStore {
  readonly name = DEFAULT_STREAM;
  readonly #store: BasicLogStore;
  readonly #created = Date.now();
  #end: EndInfo | undefined;
  readonly #endListeners = new Set<EndListener>();

  constructor(store: BasicLogStore) {
    this.#store = store;
    if (isHealthChecked(store)) Object.assign(this, { isReady: () => store.isReady() });
    if (isIdentityChanging(store))
      Object.assign(this, { onIdentityChange: (listener: IdentityListener) => store.onIdentityChange(listener) });
  }

  get kind(): string {
    return this.#store.kind;
  }

  get streamId(): string {
    return this.#store.streamId;
  }

  open(): Promise<void> {
    return this.#store.open();
  }

  append(entries: readonly NewEntry[], options?: AppendOptions): Promise<AppendResult> {
    if (this.#end !== undefined) return Promise.reject(streamEnded(this.name));
    return this.#store.append(entries, options);
  }

  readAfter(afterSeq: number, limit: number): Promise<StoredEntry[]> {
    return this.#store.readAfter(afterSeq, limit);
  }

  read(query: ReadQuery): Promise<ReadPage> {
    return this.#store.read(query);
  }

  bounds(): Promise<StoreBounds> {
    return this.#store.bounds();
  }

  seqBeforeTime(time: number): Promise<number> {
    return this.#store.seqBeforeTime(time);
  }

  async sources(query?: SourcesQuery): Promise<SourceInfo[]> {
    return pageSources(await this.#store.sources(), query);
  }

  prune(policy: RetentionPolicy, batchSize: number): Promise<number> {
    return this.#store.prune(policy, batchSize);
  }

  onAppend(listener: AppendListener): () => void {
    return this.#store.onAppend(listener);
  }

  close(): Promise<void> {
    return this.#store.close();
  }

  async info(): Promise<StoredStreamInfo> {
    const { first, last } = await this.#store.bounds();
    const info: StoredStreamInfo = {
      name: this.name,
      identity: this.#store.streamId,
      labels: {},
      state: this.#end === undefined ? 'open' : 'ended',
      first,
      last,
      entries: last - first + 1,
      bytes: 0,
      created: this.#created,
    };
    if (this.#end !== undefined) info.end = { ...this.#end };
    return info;
  }

  async end(request: EndRequest = {}): Promise<EndInfo> {
    if (this.#end !== undefined) throw streamEnded(this.name);
    const end: EndInfo = { time: Date.now() };
    if (request.exitCode !== undefined) end.exitCode = request.exitCode;
    if (request.reason !== undefined) end.reason = request.reason;
    this.#end = end;
    for (const listener of [...this.#endListeners]) listener(end);
    return end;
  }

  ended(): EndInfo | undefined {
    return this.#end;
  }

  onEnd(listener: EndListener): () => void {
    this.#endListeners.add(listener);
    return () => this.#endListeners.delete(listener);
  }
}
