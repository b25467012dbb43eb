import { formatId } from '@livelog/protocol';
import { encodeEntryFrame } from '../sse/encode-event.js';
import type { FramePage, LogStore } from '../store/log-store.js';
import type { TurnBudget } from './turn-budget.js';

/** Options of the catch-up page cache. */
export interface PageCacheOptions {
  /** Most bytes of frames (and their offsets) kept, over every stream. Defaults to 32 MiB; 0 keeps none. */
  maxBytes?: number;
  /** Entries per page: page k holds seqs k*pageSize+1 .. (k+1)*pageSize. Defaults to 1,000. */
  pageSize?: number;
  /**
   * Most pages read from the store at once, for a reader with at least that many pages to go that
   * finds none of them held or being read (see StreamPages.read). Defaults to 4.
   */
  runPages?: number;
}

/** Counters of the cache, over every stream (the server exports them as metrics). */
export interface PageCacheStats {
  /** Reads from a store (a run of pages read at once is one). */
  reads: number;
  /** Page requests answered without a store read: from the cache, or by joining a read in flight. */
  shares: number;
  /** Pages dropped to stay within `maxBytes`. */
  evictions: number;
  /** Pages held now. */
  pages: number;
  /** Bytes held now. */
  bytes: number;
}

/** A catch-up page (a store's FramePage is one, read by its reader). */
export interface CachedPage extends FramePage {
  /**
   * True when another reader's store read served it (a held page, or a read in flight): the reader owes
   * its write to the broker's budget of shared bytes, as it took no store page of the budget for it.
   */
  readonly shared?: boolean;
}

interface Page {
  readonly owner: StreamPages;
  readonly index: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly frames: Buffer;
  /** offsets[i] is where the frame of firstSeq+i starts; offsets[count] is frames.length. */
  readonly offsets: Uint32Array;
  readonly bytes: number;
}

/**
 * Catch-up pages shared by the readers of every stream: when hundreds of readers reconnect at once
 * from similar cursors (a server restart), each would otherwise read the same history from the store
 * again. History is read in pages aligned on `pageSize` (so two readers at nearby cursors ask for
 * the same page), a page being read is shared by everyone who asks for it meanwhile, and read pages
 * stay in a least-recently-used cache bounded in bytes.
 *
 * A page never outlives what the store holds: a hit is checked against the store's retained window
 * (a reader behind it gets its gap, not removed lines), retention and the end or deletion of a stream
 * drop its pages, and a read that an invalidation overtook is handed to its waiters but not kept.
 * Entries are immutable and seqs never reused, so a page is otherwise never stale; the newest page,
 * still filling, is read again by a reader who needs more of it than it holds.
 */
export class PageCache {
  readonly stats: PageCacheStats = { reads: 0, shares: 0, evictions: 0, pages: 0, bytes: 0 };
  readonly maxBytes: number;
  readonly pageSize: number;
  readonly runPages: number;
  /** Every page held, least recently used first. */
  readonly #lru = new Set<Page>();

  constructor(options: PageCacheOptions = {}) {
    this.maxBytes = Math.max(0, options.maxBytes ?? 32 * 1024 * 1024);
    this.pageSize = Math.max(1, Math.floor(options.pageSize ?? 1000));
    this.runPages = Math.max(1, Math.floor(options.runPages ?? 4));
  }

  /** The pages of one stream, read from `store` with frame ids `<idPrefix>:<seq>` (its stream id). */
  forStream(store: LogStore, idPrefix: string = store.streamId): StreamPages {
    return new StreamPages(this, store, idPrefix);
  }

  /** @internal */
  add(page: Page): void {
    if (page.bytes > this.maxBytes) return;
    this.#lru.add(page);
    this.stats.pages++;
    this.stats.bytes += page.bytes;
    while (this.stats.bytes > this.maxBytes) {
      const oldest = this.#lru.values().next().value as Page;
      oldest.owner.forget(oldest);
      this.stats.evictions++;
    }
  }

  /** @internal */
  touch(page: Page): void {
    this.#lru.delete(page);
    this.#lru.add(page);
  }

  /** @internal */
  remove(page: Page): void {
    if (!this.#lru.delete(page)) return;
    this.stats.pages--;
    this.stats.bytes -= page.bytes;
  }
}

/** The cached pages of one stream (one broker's), in a shared PageCache. */
export class StreamPages {
  readonly #cache: PageCache;
  readonly #store: LogStore;
  readonly #idPrefix: string;
  readonly #pages = new Map<number, Page>();
  readonly #loading = new Map<number, Promise<Page | undefined>>();
  /** Bumped by every invalidation: a read started before one is not kept. */
  #generation = 0;
  /** The store's first retained seq as asked in this turn of the event loop (see #retainedFrom). */
  #first: Promise<number> | undefined;

  constructor(cache: PageCache, store: LogStore, idPrefix: string) {
    this.#cache = cache;
    this.#store = store;
    this.#idPrefix = idPrefix;
  }

  /** Entries per page: page k holds seqs k*pageSize+1 .. (k+1)*pageSize. */
  get pageSize(): number {
    return this.#cache.pageSize;
  }

  /** Pages held now. */
  get size(): number {
    return this.#pages.size;
  }

  /**
   * The entries after `after` up to the end of their page, as frames; undefined when the store holds
   * none there (the reader then asks the store's bounds, as for a direct read). Like a direct read,
   * the first entry is after `after + 1` when retention removed those before it.
   *
   * Only a store read waits for `budget` (the broker's pages per turn): a page already held or being
   * read costs its readers a socket write, not a store read, and hundreds of readers of one page in a
   * reconnect storm must not queue behind each other for a page each. Such a page comes `shared`: its
   * reader counts the write against the broker's bytes per turn instead (see Subscription).
   *
   * A reader that will read `pagesToGo` pages in a row (far behind) reads up to `runPages` of them in
   * one store read, as far as none is held or being read: each store read costs the reader thread,
   * the message between threads and the event loop as much again per page as ~200 entries do. The
   * pages after the first are then in flight, and shared, for this reader and every other. The pages
   * of a run are views of one buffer: a page held keeps the whole run's memory, so the memory behind
   * the cache's `maxBytes` can reach `runPages` times it when only one page of each run stays held.
   */
  async read(after: number, budget?: TurnBudget, pagesToGo = 1): Promise<CachedPage | undefined> {
    let granted = budget === undefined;
    for (;;) {
      // No await before #load on a miss: concurrent readers of a page must find its read in flight.
      const shared = this.#shared(after);
      if (shared !== undefined) {
        const page = await shared;
        if (page !== undefined) return page;
        // The held page lost lines to retention, or the shared read ended before `after` (the newest
        // page, read before the entries after it were appended): look again, then read.
        continue;
      }
      if (!granted) {
        granted = true;
        const turn = budget?.take();
        if (turn !== undefined) {
          await turn;
          // Another reader may have read the page while this one waited for its turn.
          continue;
        }
      }
      this.#cache.stats.reads++;
      const page = await this.#load(Math.floor(after / this.#cache.pageSize), Math.min(this.#cache.runPages, pagesToGo));
      return page !== undefined && page.lastSeq > after ? slice(page, after + 1, false) : undefined;
    }
  }

  /**
   * The frames after `after` from a held page or a read in flight (undefined once settled: neither
   * could serve them after all); undefined at once when there is neither.
   */
  #shared(after: number): Promise<CachedPage | undefined> | undefined {
    const index = Math.floor(after / this.#cache.pageSize);
    const cached = this.#pages.get(index);
    if (cached !== undefined && cached.lastSeq > after) return this.#hit(cached, after);
    const inFlight = this.#loading.get(index);
    if (inFlight === undefined) return undefined;
    return inFlight.then((page) => {
      if (page === undefined || page.lastSeq <= after) return undefined;
      this.#cache.stats.shares++;
      return slice(page, after + 1, true);
    });
  }

  async #hit(cached: Page, after: number): Promise<CachedPage | undefined> {
    // Retention may have removed part of the page since it was read and not yet told the broker.
    const first = await this.#retainedFrom();
    if (this.#pages.get(cached.index) === cached && first <= cached.lastSeq) {
      this.#cache.touch(cached);
      this.#cache.stats.shares++;
      return slice(cached, Math.max(after + 1, first), true);
    }
    this.dropBefore(first);
    return undefined;
  }

  /**
   * The store's first retained seq, asked once per turn of the event loop: in a storm hundreds of
   * readers hit held pages in one turn, and one bounds query each was 5% of the server's time. Every
   * hit of a turn is checked against the same moment, as a direct read is against the moment it ran:
   * retention may remove lines right after either (another thread, or another instance, prunes).
   */
  #retainedFrom(): Promise<number> {
    if (this.#first === undefined) {
      const first = this.#store.bounds().then((bounds) => bounds.first);
      this.#first = first;
      setImmediate(() => {
        if (this.#first === first) this.#first = undefined;
      });
    }
    return this.#first;
  }

  /** Retention removed every entry before `firstSeq`: pages holding any of them go. */
  dropBefore(firstSeq: number): void {
    this.#first = undefined;
    this.#generation++;
    this.#loading.clear();
    for (const page of this.#pages.values()) if (page.firstSeq < firstSeq) this.forget(page);
  }

  /** Drops every page (the stream ended, was deleted or wiped, or its broker stopped). */
  clear(): void {
    this.#first = undefined;
    this.#generation++;
    this.#loading.clear();
    for (const page of this.#pages.values()) this.forget(page);
  }

  /** @internal Removes `page` from this stream and from the cache. */
  forget(page: Page): void {
    if (this.#pages.get(page.index) === page) this.#pages.delete(page.index);
    this.#cache.remove(page);
  }

  /** Reads page `index` and up to `run - 1` pages after it (those neither held nor being read) in one store read. */
  #load(index: number, run = 1): Promise<Page | undefined> {
    const generation = this.#generation;
    let count = 1;
    while (count < run && !this.#pages.has(index + count) && !this.#loading.has(index + count)) count++;
    const reading = this.#read(index, count);
    let first: Promise<Page | undefined> | undefined;
    for (let j = 0; j < count; j++) {
      const loading: Promise<Page | undefined> = reading.then((pages) => {
        const page = pages[j];
        if (this.#loading.get(index + j) === loading) this.#loading.delete(index + j);
        if (page !== undefined && generation === this.#generation && this.#cache.maxBytes > 0) {
          const old = this.#pages.get(index + j);
          if (old !== undefined) this.forget(old);
          this.#pages.set(index + j, page);
          this.#cache.add(page);
        }
        return page;
      });
      this.#loading.set(index + j, loading);
      // Failures reach every waiter through the promise; the map must not keep a failed read.
      loading.catch(() => {
        if (this.#loading.get(index + j) === loading) this.#loading.delete(index + j);
      });
      first ??= loading;
    }
    return first as Promise<Page | undefined>;
  }

  /** Pages `index` .. `index + count - 1` from one store read; undefined for a page it holds no entry of. */
  async #read(index: number, count: number): Promise<(Page | undefined)[]> {
    const size = this.#cache.pageSize;
    const read = await this.#readFrames(index * size, count * size);
    if (read === undefined) return [];
    const pages: (Page | undefined)[] = [];
    for (let j = 0; j < count; j++) {
      // Seqs are contiguous: entry i of the read is firstSeq + i. Where retention removed the start of
      // the run, the read began later, maybe in a later page.
      const from = Math.max(0, (index + j) * size + 1 - read.firstSeq);
      const to = Math.min(read.count, (index + j + 1) * size + 1 - read.firstSeq);
      if (to <= from) {
        pages.push(undefined);
        continue;
      }
      const start = read.offsets[from] as number;
      const frames = from === 0 && to === read.count ? read.frames : read.frames.subarray(start, read.offsets[to]);
      const offsets = from === 0 && to === read.count ? read.offsets : read.offsets.slice(from, to + 1);
      if (start !== 0) for (let i = 0; i < offsets.length; i++) offsets[i] = (offsets[i] as number) - start;
      pages.push({
        owner: this,
        index: index + j,
        firstSeq: read.firstSeq + from,
        lastSeq: read.firstSeq + to - 1,
        frames,
        offsets,
        bytes: frames.length + offsets.byteLength,
      });
    }
    return pages;
  }

  /** Up to `limit` entries after `after` as frames with their offsets, from the store's frames or its rows. */
  async #readFrames(
    after: number,
    limit: number,
  ): Promise<{ firstSeq: number; count: number; frames: Buffer; offsets: Uint32Array } | undefined> {
    if (this.#store.readFrames !== undefined) {
      const read = await this.#store.readFrames(after, limit, this.#idPrefix);
      if (read === undefined) return undefined;
      return {
        firstSeq: read.firstSeq,
        count: read.count,
        frames: read.frames,
        offsets: read.offsets ?? frameOffsets(read.frames, read.count),
      };
    }
    const rows = await this.#store.readAfter(after, limit);
    const first = rows[0];
    if (first === undefined) return undefined;
    const count = rows.length;
    const offsets = new Uint32Array(count + 1);
    let text = '';
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const row = rows[i] as (typeof rows)[number];
      const frame = encodeEntryFrame(formatId(this.#idPrefix, row.seq), row.json);
      offsets[i] = offset;
      offset += Buffer.byteLength(frame);
      text += frame;
    }
    offsets[count] = offset;
    return { firstSeq: first.seq, count, frames: Buffer.from(text, 'utf8'), offsets };
  }
}

/** The frames of `page` from `fromSeq` on (a view, not a copy). */
function slice(page: Page, fromSeq: number, shared: boolean): CachedPage {
  const skip = Math.max(0, fromSeq - page.firstSeq);
  const count = page.lastSeq - page.firstSeq + 1 - skip;
  const frames = skip === 0 ? page.frames : page.frames.subarray(page.offsets[skip]);
  return { firstSeq: page.firstSeq + skip, lastSeq: page.lastSeq, count, frames, shared };
}

const FRAME_END = Buffer.from('\n\n');

/**
 * Where each of the `count` entry frames of `frames` starts. A frame is `data: <JSON>\nid: …\n\n`
 * and JSON text holds no raw line feed, so frames end exactly at each blank line.
 */
export function frameOffsets(frames: Buffer, count: number): Uint32Array {
  const offsets = new Uint32Array(count + 1);
  let position = 0;
  for (let i = 0; i < count && position >= 0; i++) {
    offsets[i] = position;
    const end = frames.indexOf(FRAME_END, position);
    position = end < 0 ? -1 : end + 2;
  }
  if (position !== frames.length) throw new Error(`frame page of ${count} entries does not split into ${count} frames`);
  offsets[count] = position;
  return offsets;
}
