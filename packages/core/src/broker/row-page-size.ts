import type { StoredEntry } from '../store/log-store.js';

/** The stored JSON a catch-up page of rows aims at, in UTF-16 code units (about bytes for logs). */
export const ROW_PAGE_TARGET = 4 * 1024 * 1024;
/** Rows of a reader's first page of rows, before their size is known. */
export const FIRST_ROW_PAGE = 4;

/**
 * How many rows a reader's next catch-up page of rows reads (a filtered reader's, or one ending at
 * `until`): each is read, parsed and matched in one step of the event loop. Pages of a fixed 1,000
 * rows made that step as large as the rows: with entries near the line limit (1 MiB) a page was up to
 * 1 GiB, and one reader filtering 210 entries of 900 KB held `/healthz` 6 s and grew the server by
 * 350 MB. So the first page reads a few rows, and each later one as many as fit in about
 * `ROW_PAGE_TARGET` at the size of the rows read so far, between 1 and `maxRows`.
 */
export class RowPageSize {
  readonly #maxRows: number;
  #rows: number;
  #seenRows = 0;
  #seenUnits = 0;

  constructor(maxRows: number) {
    this.#maxRows = Math.max(1, maxRows);
    this.#rows = Math.min(this.#maxRows, FIRST_ROW_PAGE);
  }

  /** Rows to read next. */
  get rows(): number {
    return this.#rows;
  }

  /** Counts a page read, and sizes the next one. */
  observe(rows: readonly StoredEntry[]): void {
    for (const row of rows) this.#seenUnits += row.json.length;
    this.#seenRows += rows.length;
    if (this.#seenRows === 0) return;
    const perRow = Math.max(1, this.#seenUnits / this.#seenRows);
    this.#rows = Math.max(1, Math.min(this.#maxRows, Math.floor(ROW_PAGE_TARGET / perRow)));
  }
}
