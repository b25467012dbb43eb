import type { CachedPage } from './page-cache.js';

/** Pages a reader reads ahead of the one it writes by default. */
export const READ_AHEAD_PAGES = 2;

/**
 * Catch-up pages a reader behind the ring asks for while its socket drains, in order, each from the
 * seq where the one before is expected to end. More than one, so that a store reading on another
 * thread has the next page asked for before it finishes this one. A guess that turns out wrong (the
 * page before ended early: retention cut it, or it reached the head) is dropped, never written.
 */
export class ReadAhead {
  readonly #read: (after: number) => Promise<CachedPage | undefined>;
  readonly #pageEnd: (after: number) => number;
  readonly #depth: number;
  #queue: { after: number; end: number; page: Promise<CachedPage | undefined> }[] = [];

  /** `read` reads the page after a seq; `pageEnd` says where that page ends when it is full. */
  constructor(read: (after: number) => Promise<CachedPage | undefined>, pageEnd: (after: number) => number, depth = READ_AHEAD_PAGES) {
    this.#read = read;
    this.#pageEnd = pageEnd;
    this.#depth = depth;
  }

  /** True when the next page read ahead starts at `after`. */
  has(after: number): boolean {
    return this.#queue[0]?.after === after;
  }

  /** The page after `after`: the one read ahead when it starts there (all are dropped when it does not), else read now. */
  take(after: number): Promise<CachedPage | undefined> {
    const next = this.#queue.shift();
    if (next?.after === after) return next.page;
    this.#queue = [];
    return this.#read(after);
  }

  /** Drops what was read ahead. */
  clear(): void {
    this.#queue = [];
  }

  /** Asks for pages after `cursor` up to the depth, below `head`, while `mayRead` allows one more. */
  fill(cursor: number, head: number, mayRead: () => boolean): void {
    let next = this.#queue.at(-1)?.end ?? cursor;
    while (this.#queue.length < this.#depth && next < head && mayRead()) {
      const page = this.#read(next);
      // A failure shows when the page is used (or never, if the reader leaves first).
      page.catch(() => undefined);
      const end = this.#pageEnd(next);
      this.#queue.push({ after: next, end, page });
      next = end;
    }
  }
}
