import type { LogEntry } from '@livelog/protocol';
import type { ReactiveControllerHost } from 'lit';
import { dispatchConsoleEvent } from '../console-events.js';
import type { HelpDialog } from '../render/render-help.js';
import { findErrorRow } from '../state/find-error-row.js';
import type { LogModel } from '../state/log-model.js';
import type { SearchView } from '../state/search-view.js';
import type { ViewAnchors } from '../state/view-anchors.js';
import type { VirtualListController } from '../state/virtual-list.js';
import { isTypingTarget, type Shortcut } from './keyboard-shortcuts.js';

/** The element the commands act on: only what it shows anyway as attributes, properties and methods. */
export interface CommandsHost extends ReactiveControllerHost, HTMLElement {
  following: boolean;
  wrap: boolean;
  utc: boolean;
  theme: 'auto' | 'light' | 'dark';
  readonly renderRoot: HTMLElement | DocumentFragment;
  pause(): void;
  goLive(): void;
}

/** The element's own parts the commands use, kept private to it. */
export interface CommandParts {
  model(): LogModel | undefined;
  readonly list: VirtualListController;
  readonly anchors: ViewAnchors;
  readonly help: HelpDialog;
  readonly search: SearchView;
  viewport(): HTMLElement | null;
  isDark(): boolean;
}

/** How far the pointer may travel between press and release for a click still to mean the line pressed. */
const CLICK_SLOP_PX = 6;

/**
 * What a reader does to the console with keys and the pointer: the shortcuts, scrolling, and the line selected
 * (expanded) or targeted (a permalink's line). A selection pauses the view, so the expanded line does
 * not scroll away; every change of it is announced in `livelog-select`.
 */
export class ConsoleCommands {
  /** The line expanded, by seq. */
  selectedSeq: number | undefined;
  /** The line a permalink named, marked while it is shown. */
  targetSeq: number | undefined;
  readonly #host: CommandsHost;
  readonly #parts: CommandParts;
  /** The line a primary press went down on, and where, until its click: a click selects it wherever it lands. */
  #pressed: { seq: number; x: number; y: number } | undefined;

  constructor(host: CommandsHost, parts: CommandParts) {
    this.#host = host;
    this.#parts = parts;
  }

  /** Forgets the selection and the target (another stream, or going live), announcing a dropped selection. */
  clear(announce: boolean): void {
    const had = this.selectedSeq !== undefined;
    this.selectedSeq = undefined;
    this.targetSeq = undefined;
    if (announce && had) dispatchConsoleEvent(this.#host, 'livelog-select', { entry: undefined });
  }

  /**
   * A primary press went down on the line of `seq`. In a followed stream that line would scroll away
   * between press and release, and the click land on another line or none: the press pauses, and the
   * click selects the line pressed.
   */
  press(seq: number, x: number, y: number): void {
    this.#pressed = { seq, x, y };
    this.#host.pause();
  }

  /**
   * A click in the list beside every line: the line pressed is the one meant, unless the pointer
   * travelled between press and release (a drag selecting text across lines, not a click).
   */
  clickBesideLines(x: number, y: number): void {
    const pressed = this.#pressed;
    const entry = this.#takePressed();
    if (entry === undefined || pressed === undefined || Math.hypot(x - pressed.x, y - pressed.y) > CLICK_SLOP_PX) return;
    this.select(entry);
  }

  /** The line pressed since the last click, if it is still loaded; forgets it either way. */
  #takePressed(): LogEntry | undefined {
    const seq = this.#pressed?.seq;
    this.#pressed = undefined;
    return seq === undefined ? undefined : this.#parts.model()?.buffer.entryBySeq(seq);
  }

  /**
   * A press on a line: expands it (pausing), or collapses it when it was the one expanded. `clicked`:
   * from a click on its row (a click's target holds the element pressed, so that is the line pressed).
   */
  select(entry: LogEntry, clicked = false): void {
    if (clicked) this.#pressed = undefined;
    const { anchors } = this.#parts;
    this.selectedSeq = this.selectedSeq === entry.seq ? undefined : entry.seq;
    if (this.selectedSeq === undefined) anchors.release();
    else {
      this.#host.pause();
      anchors.expand(this.#parts.viewport(), entry.seq);
    }
    dispatchConsoleEvent(this.#host, 'livelog-select', { entry: this.selectedSeq === undefined ? undefined : entry });
    this.#host.requestUpdate();
  }

  /** `document.fullscreenElement` is retargeted to the outermost shadow host: ask the host's own root. */
  get fullscreen(): boolean {
    const root = this.#host.getRootNode() as Document | ShadowRoot;
    return root.fullscreenElement === this.#host;
  }

  /** The viewport scrolled: by the reader (pause, or resume at the end) or by the view itself. */
  scrolled(event: Event): void {
    const wanted = this.#parts.anchors.scrolled(event.currentTarget as HTMLElement, this.#host.following);
    if (wanted === 'pause') this.#host.pause();
    // An expanded line keeps the view paused: reaching the end (the click that expanded it scrolled
    // there, or the reader scrolled on) must not resume and scroll it away. The pill resumes.
    else if (wanted === 'resume' && this.#parts.model()?.mode === 'live' && this.selectedSeq === undefined) this.#host.goLive();
  }

  scrollToSeq(seq: number, align: 'center' | 'auto'): void {
    const index = this.#parts.model()?.buffer.rowIndexOfSeq(seq) ?? -1;
    if (index >= 0) this.#parts.list.scrollToIndex(index, align, this.#host.following);
  }

  run(shortcut: Shortcut): void {
    const host = this.#host;
    const { help, list, viewport } = this.#parts;
    switch (shortcut) {
      case 'search':
        host.renderRoot.querySelector<HTMLInputElement>('#search')?.focus();
        break;
      case 'toggle-follow':
        if (host.following) host.pause();
        else host.goLive();
        break;
      case 'top':
        host.pause();
        list.virtualizer.scrollToOffset(0);
        break;
      case 'live':
        host.goLive();
        break;
      case 'next-error':
        this.#jumpToError(1);
        break;
      case 'previous-error':
        this.#jumpToError(-1);
        break;
      case 'wrap':
        host.wrap = !host.wrap;
        break;
      case 'utc':
        host.utc = !host.utc;
        break;
      case 'theme':
        host.theme = this.#parts.isDark() ? 'light' : 'dark';
        dispatchConsoleEvent(host, 'livelog-theme', { theme: host.theme });
        break;
      case 'fullscreen':
        if (this.fullscreen) void document.exitFullscreen();
        else void host.requestFullscreen?.().catch(() => undefined);
        break;
      case 'help':
        // Requested first: `updateComplete` must be the render that adds or removes the dialog.
        host.requestUpdate();
        if (help.open) help.close(host.updateComplete, viewport);
        else help.show(host.renderRoot as ShadowRoot, host.updateComplete);
        break;
      case 'escape': {
        const active = host.renderRoot instanceof ShadowRoot ? host.renderRoot.activeElement : null;
        host.requestUpdate();
        if (help.open) help.close(host.updateComplete, viewport);
        else if (this.#parts.search.context.open) this.#parts.search.context.close();
        else if (isTypingTarget(active)) viewport()?.focus();
        else if (this.selectedSeq !== undefined) {
          this.selectedSeq = undefined;
          this.#parts.anchors.release();
        }
        break;
      }
    }
  }

  #jumpToError(step: 1 | -1): void {
    const model = this.#parts.model();
    const rows = model?.buffer.rows ?? [];
    const range = this.#parts.list.virtualizer.range;
    const selected = this.selectedSeq === undefined ? -1 : (model?.buffer.rowIndexOfSeq(this.selectedSeq) ?? -1);
    // Without a selection, start from the edge of what is on screen.
    const from = selected >= 0 ? selected : step > 0 ? (range?.startIndex ?? 0) - 1 : (range?.endIndex ?? rows.length - 1) + 1;
    const found = findErrorRow(rows, from, step);
    if (found === undefined) return;
    this.#host.pause();
    this.selectedSeq = found.seq;
    dispatchConsoleEvent(this.#host, 'livelog-select', { entry: found });
    this.#host.requestUpdate();
    void this.#host.updateComplete.then(() => this.scrollToSeq(found.seq, 'center'));
  }
}
