import { DEFAULT_STREAM, type EndInfo } from '@livelog/protocol';
import type { NewEntry } from '../entry/new-entry.js';
import { LivelogError } from '../errors.js';
import type {
  AppendListener,
  AppendOptions,
  AppendResult,
  EndListener,
  EndRequest,
  FramePage,
  HealthCheckedStore,
  LogStore,
  ReadPage,
  ReadQuery,
  RetentionPolicy,
  SourceInfo,
  SourcesQuery,
  StoreBounds,
  StoredEntry,
  StoredStreamInfo,
} from './log-store.js';
import { SqliteDatabase, type SqliteDatabaseOptions } from './sqlite-database.js';

/** Options of the SQLite store. */
export type SqliteStoreOptions = SqliteDatabaseOptions;

/**
 * The stream `default` of a SQLite database of its own: the single-stream face of SqliteDatabase,
 * for code and tests written before streams. Given to `createEngine({ store })`, it brings its whole
 * database (`database`), so every stream of the file is served.
 */
export class SqliteStore implements LogStore, HealthCheckedStore {
  readonly kind = 'sqlite';
  readonly name = DEFAULT_STREAM;
  readonly database: SqliteDatabase;
  #stream: LogStore | undefined;

  constructor(options: SqliteStoreOptions) {
    this.database = new SqliteDatabase(options);
  }

  /** Path of the database file. */
  get file(): string {
    return this.database.file;
  }

  get streamId(): string {
    return this.#current().streamId;
  }

  async open(): Promise<void> {
    await this.database.open();
    this.#stream = await this.database.openStream(DEFAULT_STREAM);
    if ((await this.database.stream(DEFAULT_STREAM)) === undefined) await this.database.setStream(DEFAULT_STREAM, {});
  }

  append(entries: readonly NewEntry[], options?: AppendOptions): Promise<AppendResult> {
    if (this.#stream === undefined) return Promise.reject(new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the SQLite store is not open'));
    return this.#stream.append(entries, options);
  }

  readAfter(afterSeq: number, limit: number): Promise<StoredEntry[]> {
    return this.#current().readAfter(afterSeq, limit);
  }

  readFrames(afterSeq: number, limit: number, idPrefix: string): Promise<FramePage | undefined> {
    return this.#current().readFrames?.(afterSeq, limit, idPrefix) ?? Promise.resolve(undefined);
  }

  read(query: ReadQuery): Promise<ReadPage> {
    return this.#current().read(query);
  }

  bounds(): Promise<StoreBounds> {
    return this.#current().bounds();
  }

  seqBeforeTime(time: number): Promise<number> {
    return this.#current().seqBeforeTime(time);
  }

  sources(query?: SourcesQuery): Promise<SourceInfo[]> {
    return this.#current().sources(query);
  }

  prune(policy: RetentionPolicy, batchSize: number): Promise<number> {
    return this.#current().prune(policy, batchSize);
  }

  onAppend(listener: AppendListener): () => void {
    return this.#current().onAppend(listener);
  }

  info(): Promise<StoredStreamInfo> {
    return this.#current().info();
  }

  end(request?: EndRequest): Promise<EndInfo> {
    return this.#current().end(request);
  }

  ended(): EndInfo | undefined {
    return this.#stream?.ended();
  }

  onEnd(listener: EndListener): () => void {
    return this.#current().onEnd(listener);
  }

  isReady(): Promise<boolean> {
    return this.database.isReady();
  }

  close(): Promise<void> {
    return this.database.close();
  }

  #current(): LogStore {
    if (this.#stream === undefined) throw new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the SQLite store is not open');
    return this.#stream;
  }
}
