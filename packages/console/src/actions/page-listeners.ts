import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** What the console does when the page around it changes. */
export interface PageHandlers {
  /** A key was pressed on the console, or anywhere on the page with `global-shortcuts`. */
  keydown(event: KeyboardEvent): void;
  /** The URL's fragment changed (a permalink was opened in this tab, or Back left one). */
  hashchange(event: HashChangeEvent): void;
  /** The look may have changed: the system color scheme, or fullscreen state. */
  restyle(): void;
  /** Once a second, for what is shown in seconds (a retry countdown) and periodic refreshes. */
  tick(): void;
}

/**
 * The listeners a console keeps outside itself while it is in the document, added when it connects
 * and removed when it disconnects, so an element moved or dropped by a framework leaks none of them.
 */
export class PageListeners implements ReactiveController {
  readonly #host: ReactiveControllerHost & HTMLElement;
  readonly #handlers: PageHandlers;
  readonly #global: () => boolean;
  readonly #dark = globalThis.matchMedia?.('(prefers-color-scheme: dark)');
  #keyTarget: EventTarget | undefined;
  #tick: ReturnType<typeof setInterval> | undefined;

  /** `global` says, when the host connects, whether keys are heard on the whole page. */
  constructor(host: ReactiveControllerHost & HTMLElement, handlers: PageHandlers, global: () => boolean) {
    this.#host = host;
    this.#handlers = handlers;
    this.#global = global;
    host.addController(this);
  }

  /** Whether the system prefers a dark color scheme. */
  get prefersDark(): boolean {
    return this.#dark?.matches ?? false;
  }

  hostConnected(): void {
    this.#dark?.addEventListener('change', this.#restyle);
    window.addEventListener('hashchange', this.#hashchange);
    document.addEventListener('fullscreenchange', this.#restyle);
    this.#keyTarget = this.#global() ? window : this.#host;
    this.#keyTarget.addEventListener('keydown', this.#keydown as EventListener);
    this.#tick = setInterval(() => this.#handlers.tick(), 1000);
  }

  hostDisconnected(): void {
    this.#dark?.removeEventListener('change', this.#restyle);
    window.removeEventListener('hashchange', this.#hashchange);
    document.removeEventListener('fullscreenchange', this.#restyle);
    this.#keyTarget?.removeEventListener('keydown', this.#keydown as EventListener);
    this.#keyTarget = undefined;
    clearInterval(this.#tick);
  }

  readonly #keydown = (event: KeyboardEvent): void => this.#handlers.keydown(event);
  readonly #hashchange = (event: HashChangeEvent): void => this.#handlers.hashchange(event);
  readonly #restyle = (): void => this.#handlers.restyle();
}
