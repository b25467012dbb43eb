import {
  elementScroll,
  observeElementOffset,
  observeElementRect,
  type VirtualItem,
  Virtualizer,
  type VirtualizerOptions,
} from '@tanstack/virtual-core';
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * While paused, how long rows appended below the view may wait before the list counts them: each
 * change of the count makes TanStack Virtual rebuild its layout of every row (5 ms for 200,000), and
 * on every batch of a 5,000 lines/s stream that made a long frame every few frames of scrolling.
 */
const APPEND_DELAY_MS = 1000;
/** Rows from the end of the counted ones where appended rows are counted at once: the reader is near. */
const APPEND_NEAR_ROWS = 200;
/** Rows rendered beyond each side of the view. */
const OVERSCAN_ROWS = 12;

/** The rows as they are now: how many, and their LogBuffer.shape (which changes when rows move to other indices). */
export interface RowsState {
  count: number;
  shape: number;
}

/** Options of the list the console renders: its rows, their keys, a height guess. */
export interface VirtualListOptions {
  getScrollElement: () => HTMLElement | null;
  rows: () => RowsState;
  getItemKey: (index: number) => number | string;
  estimateSize: number;
  /** Keep the bottom in view as rows are appended. */
  follow: boolean;
}

/**
 * TanStack Virtual as a Lit controller: only the rows in view (plus overscan) exist in the DOM.
 * `anchorTo: 'end'` keeps the row under the reader's eyes still when older pages are prepended or
 * the oldest rows are trimmed; `followOnAppend` sticks to the bottom while following.
 */
export class VirtualListController implements ReactiveController {
  readonly virtualizer: Virtualizer<HTMLElement, HTMLElement>;
  readonly #host: ReactiveControllerHost;
  #options: VirtualListOptions;
  /** The rows the list counts: all of them, or fewer while appended ones wait (see sync). */
  #count = 0;
  #cleanup: (() => void) | undefined;
  #shape = -1;
  #countedAt = 0;
  #countTimer: ReturnType<typeof setTimeout> | undefined;
  /** The virtualizer's scroll offset when rows were last rendered for a view following the end (see items). */
  #endAt: number | null | undefined;
  /** Rows already handed to the virtualizer. */
  #measured = new WeakSet<Element>();

  constructor(host: ReactiveControllerHost, options: VirtualListOptions) {
    this.#host = host;
    this.#options = options;
    this.virtualizer = new Virtualizer(this.#resolve(options));
    host.addController(this);
  }

  #resolve(options: VirtualListOptions): VirtualizerOptions<HTMLElement, HTMLElement> {
    return {
      count: this.#count,
      getScrollElement: options.getScrollElement,
      getItemKey: options.getItemKey,
      estimateSize: () => options.estimateSize,
      scrollToFn: elementScroll,
      observeElementRect,
      observeElementOffset,
      overscan: OVERSCAN_ROWS,
      // Room for the line above the first row ("Loading older lines…").
      paddingStart: options.estimateSize,
      anchorTo: 'end',
      followOnAppend: options.follow ? 'auto' : false,
      scrollEndThreshold: 4,
      onChange: () => this.#host.requestUpdate(),
    };
  }

  /**
   * Counts the rows and sets follow; call before rendering. While `shape` is unchanged, rows were
   * only appended, so row N is still row N and the new rows lie below the counted ones. Then, while
   * paused and away from the end, the list counts them at most once a second: the scrollbar lags,
   * what is on screen never does. `now` counts them at once. Returns whether the count changed.
   */
  sync(follow: boolean, now = false): boolean {
    const { count, shape } = this.#options.rows();
    const counted = this.#count;
    const end = this.virtualizer.range?.endIndex ?? counted;
    const wait = this.#countedAt + APPEND_DELAY_MS - performance.now();
    if (!now && !follow && shape === this.#shape && count > counted && end < counted - APPEND_NEAR_ROWS && wait > 0) {
      if (this.#options.follow) this.#update(follow);
      // Nothing else may render when they are due: the stream can stop and the view stand still.
      this.#countTimer ??= setTimeout(() => {
        this.#countTimer = undefined;
        this.#host.requestUpdate();
      }, wait);
      return false;
    }
    if (count !== counted) this.#countedAt = performance.now();
    this.#shape = shape;
    this.#count = count;
    this.#update(follow);
    return count !== counted;
  }

  /**
   * Scrolls to a row by its index. Rows the list has not counted yet are not in the DOM's height
   * either, so they are counted and rendered first: the browser would clamp the scroll short of them.
   */
  scrollToIndex(index: number, align: 'center' | 'auto', follow: boolean): void {
    const scroll = (): void => this.virtualizer.scrollToIndex(index, { align });
    if (!this.sync(follow, true)) {
      scroll();
      return;
    }
    this.#host.requestUpdate();
    void this.#host.updateComplete.then(scroll);
  }

  #update(follow: boolean): void {
    this.#options = { ...this.#options, follow };
    this.virtualizer.setOptions(this.#resolve(this.#options));
  }

  /**
   * Measures the rendered rows not measured yet. Rows are keyed by line, so an element stays one
   * line's: the virtualizer's ResizeObserver reports any later change of its height (a selection, a
   * wrap), and measuring every row on every render only forced a layout in the middle of the frame.
   */
  measure(rows: Iterable<Element>): void {
    for (const row of rows) {
      if (this.#measured.has(row) || !(row instanceof HTMLElement) || row.dataset.index === undefined) continue;
      this.#measured.add(row);
      this.virtualizer.measureElement(row);
    }
  }

  /**
   * The rows to render. `following`: the view scrolls to the end right after this render, so the rows
   * that fill the end are rendered too. The virtualizer's range is still that of the old scroll
   * offset (it learns the new one from the scroll event, a frame later): when more rows than the
   * overscan arrived since the last render, the view at the end was empty for that frame (under load
   * a long one), and a press there landed on no line, so the click expanded nothing. They stay until
   * the virtualizer hears of the scroll: a press on one pauses, and the render that follows must not
   * take the line pressed away (the browser sends no click when the pressed element is gone).
   */
  items(following = false): VirtualItem[] {
    const items = this.virtualizer.getVirtualItems();
    const offset = this.virtualizer.scrollOffset;
    if (following) this.#endAt = offset;
    else if (this.#endAt !== offset) {
      this.#endAt = undefined;
      return items;
    }
    const end = this.#endItems(items.at(-1)?.index ?? -1);
    return end.length === 0 ? items : [...items, ...end];
  }

  /** The rows from the top of the view at the end of the list (less the overscan) on, after index `after`. */
  #endItems(after: number): VirtualItem[] {
    const virtualizer = this.virtualizer;
    const height = virtualizer.scrollRect?.height ?? 0;
    const top = virtualizer.getTotalSize() - height - OVERSCAN_ROWS * this.#options.estimateSize;
    // Looked up first: it brings the measurements up to date with the rows counted.
    const first = virtualizer.getVirtualItemForOffset(Math.max(0, top));
    const measurements = virtualizer.measurementsCache;
    const rows: VirtualItem[] = [];
    if (first === undefined) return rows;
    for (let index = Math.max(first.index, after + 1); index < this.#count; index++) {
      const item = measurements[index];
      if (item !== undefined) rows.push(item);
    }
    return rows;
  }

  hostConnected(): void {
    this.#cleanup = this.virtualizer._didMount();
  }

  hostUpdated(): void {
    this.virtualizer._willUpdate();
  }

  hostDisconnected(): void {
    clearTimeout(this.#countTimer);
    this.#countTimer = undefined;
    this.#cleanup?.();
    this.#cleanup = undefined;
  }
}
