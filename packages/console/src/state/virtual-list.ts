import {
  elementScroll,
  observeElementOffset,
  observeElementRect,
  type VirtualItem,
  Virtualizer,
  type VirtualizerOptions,
} from '@tanstack/virtual-core';
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Options of the list the console renders: how many rows, their keys, a height guess. */
export interface VirtualListOptions {
  getScrollElement: () => HTMLElement | null;
  count: number;
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
  #cleanup: (() => void) | undefined;

  constructor(host: ReactiveControllerHost, options: VirtualListOptions) {
    this.#host = host;
    this.#options = options;
    this.virtualizer = new Virtualizer(this.#resolve(options));
    host.addController(this);
  }

  #resolve(options: VirtualListOptions): VirtualizerOptions<HTMLElement, HTMLElement> {
    return {
      count: options.count,
      getScrollElement: options.getScrollElement,
      getItemKey: options.getItemKey,
      estimateSize: () => options.estimateSize,
      scrollToFn: elementScroll,
      observeElementRect,
      observeElementOffset,
      overscan: 12,
      // Room for the line above the first row ("Loading older lines…").
      paddingStart: options.estimateSize,
      anchorTo: 'end',
      followOnAppend: options.follow ? 'auto' : false,
      scrollEndThreshold: 4,
      onChange: () => this.#host.requestUpdate(),
    };
  }

  /** Updates count, keys or follow; call before rendering. */
  update(options: Partial<VirtualListOptions>): void {
    this.#options = { ...this.#options, ...options };
    this.virtualizer.setOptions(this.#resolve(this.#options));
  }

  items(): VirtualItem[] {
    return this.virtualizer.getVirtualItems();
  }

  hostConnected(): void {
    this.#cleanup = this.virtualizer._didMount();
  }

  hostUpdated(): void {
    this.virtualizer._willUpdate();
  }

  hostDisconnected(): void {
    this.#cleanup?.();
    this.#cleanup = undefined;
  }
}
