import { listStreams, type StreamInfo } from '@livelog/client';
import { css, html, LitElement, nothing } from 'lit';
import { byRecentActivity, matchesStreamQuery, streamStateText, timeAgo } from './stream-search.js';

/** Streams the picker asks for: the most recently active ones (the search filters these). */
const LIST_LIMIT = 500;
/** A term that can start a stream name, sent to the server as the list's prefix. */
const STREAM_NAME_START = /^[a-z0-9][a-z0-9._-]{0,127}$/;
/** How often the open list is refreshed, in ms. */
const REFRESH_MS = 5000;

/**
 * `<livelog-stream-picker>`: the dashboard's stream switcher. A button names the stream shown; it
 * opens a panel listing the server's streams (`GET /api/streams?order=recent`), newest activity first,
 * with their state (`open`, `ended · exit 0`), last activity and labels, and a search box matching
 * names and labels. Choosing one dispatches `livelog-stream-change` with `{ name }`; the page decides
 * what showing it means (its URL, its console). A server without streams hides the picker.
 */
export class LivelogStreamPicker extends LitElement {
  static override properties = {
    current: { type: String },
    src: { type: String },
    token: { type: String },
  };

  static override styles = css`
    :host {
      position: relative;
      display: inline-block;
      font-size: 13px;
    }
    :host([hidden]) {
      display: none;
    }
    .toggle {
      font: inherit;
      color: inherit;
      background: transparent;
      border: 1px solid #30363d;
      border-radius: 6px;
      padding: 2px 10px;
      cursor: pointer;
      max-width: 40vw;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .toggle:focus-visible,
    input:focus-visible,
    li button:focus-visible {
      outline: 2px solid #4493f8;
    }
    .panel {
      position: absolute;
      z-index: 20;
      top: calc(100% + 4px);
      left: 0;
      width: min(440px, calc(100vw - 24px));
      max-height: min(480px, 70vh);
      display: flex;
      flex-direction: column;
      background: #161b22;
      color: #e6edf3;
      border: 1px solid #30363d;
      border-radius: 8px;
      box-shadow: 0 8px 24px rgb(0 0 0 / 40%);
    }
    input {
      font: inherit;
      margin: 8px;
      padding: 4px 8px;
      color: inherit;
      background: #0d1117;
      border: 1px solid #30363d;
      border-radius: 6px;
    }
    ul {
      list-style: none;
      margin: 0;
      padding: 0 0 6px;
      overflow: auto;
    }
    li button {
      display: grid;
      grid-template-columns: 1fr auto;
      gap: 2px 12px;
      width: 100%;
      text-align: left;
      font: inherit;
      color: inherit;
      background: transparent;
      border: 0;
      padding: 6px 12px;
      cursor: pointer;
    }
    li button:hover,
    li button[aria-current='true'] {
      background: #1f2937;
    }
    .name {
      font-weight: 600;
      overflow-wrap: anywhere;
    }
    .state[data-state='ended'] {
      color: #9198a1;
    }
    .state[data-failed] {
      color: #ff7b72;
    }
    .meta {
      grid-column: 1 / -1;
      color: #9198a1;
      font-size: 12px;
      overflow-wrap: anywhere;
    }
    .empty,
    .error {
      padding: 6px 12px;
      color: #9198a1;
    }
    .error {
      color: #ff7b72;
    }
  `;

  /** The stream shown now (undefined: the server's `default`). */
  declare current: string | undefined;
  /** The server's base URL. Defaults to `.` (the page's own server). */
  declare src: string;
  declare token: string | undefined;

  #open = false;
  #query = '';
  #streams: StreamInfo[] = [];
  #error: string | undefined;
  #loaded = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #generation = 0;
  /** Streams the server found for the query typed, beyond the newest LIST_LIMIT (keyed by name). */
  #found = new Map<string, StreamInfo>();
  #searchGeneration = 0;

  constructor() {
    super();
    this.src = '.';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Asked once at start, so a server without streams hides the picker before anyone clicks it.
    void this.refresh();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.#timer);
    document.removeEventListener('pointerdown', this.#outside);
  }

  /** The streams last listed, newest activity first. */
  get streams(): readonly StreamInfo[] {
    return this.#streams;
  }

  /** Asks the server for its streams again. */
  async refresh(): Promise<void> {
    const generation = ++this.#generation;
    try {
      const page = await listStreams(this.src || '.', { order: 'recent', limit: LIST_LIMIT }, this.token ? { token: this.token } : {});
      if (generation !== this.#generation) return;
      this.#streams = [...page.streams].sort(byRecentActivity);
      this.#error = undefined;
      this.hidden = false;
    } catch (error) {
      if (generation !== this.#generation) return;
      const status = (error as { status?: number }).status;
      // A server from before streams answers 404 without a code: there is nothing to pick from.
      if (status === 404 && (error as { serverCode?: string }).serverCode === undefined) this.hidden = true;
      this.#error = `cannot list streams: ${(error as Error).message}`;
    } finally {
      if (generation === this.#generation) {
        this.#loaded = true;
        this.requestUpdate();
      }
    }
  }

  /** Opens or closes the list. */
  toggle(open = !this.#open): void {
    this.#open = open;
    clearInterval(this.#timer);
    document.removeEventListener('pointerdown', this.#outside);
    // Before updateComplete is read: asked first, it is the promise of no update (the panel is not
    // rendered yet when it resolves), and the search box would never get the focus.
    this.requestUpdate();
    if (open) {
      void this.refresh();
      this.#timer = setInterval(() => void this.refresh(), REFRESH_MS);
      document.addEventListener('pointerdown', this.#outside);
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLInputElement>('input')?.focus());
    }
  }

  readonly #outside = (event: Event): void => {
    if (!event.composedPath().includes(this)) this.toggle(false);
  };

  #choose(name: string): void {
    this.toggle(false);
    this.renderRoot.querySelector<HTMLButtonElement>('.toggle')?.focus();
    if (name === (this.current ?? 'default')) return;
    this.dispatchEvent(new CustomEvent('livelog-stream-change', { detail: { name }, bubbles: true, composed: true }));
  }

  #matches(): StreamInfo[] {
    const listed = new Set(this.#streams.map((stream) => stream.name));
    const extra = [...this.#found.values()].filter((stream) => !listed.has(stream.name)).sort(byRecentActivity);
    return [...this.#streams, ...extra].filter((stream) => matchesStreamQuery(stream, this.#query));
  }

  /**
   * The list holds only the newest LIST_LIMIT streams; a server with more (a CI server keeps a stream
   * per job) is asked for the query itself: its first name-like term as a prefix, its `key=value`
   * terms as label filters. What the server finds joins the list, still filtered by every term.
   */
  async #searchServer(query: string): Promise<void> {
    const generation = ++this.#searchGeneration;
    this.#found = new Map();
    if (this.#streams.length < LIST_LIMIT) return;
    const labels: Record<string, string> = {};
    let prefix: string | undefined;
    for (const term of query.split(/\s+/).filter((text) => text !== '')) {
      // Label values are matched exactly by the server, so their case is kept.
      const label = /^([a-zA-Z_][a-zA-Z0-9_.-]*)[=:](.+)$/.exec(term);
      if (label) labels[label[1] as string] = label[2] as string;
      else if (prefix === undefined && STREAM_NAME_START.test(term.toLowerCase())) prefix = term.toLowerCase();
    }
    if (prefix === undefined && Object.keys(labels).length === 0) return;
    try {
      const options = this.token ? { token: this.token } : {};
      const page = await listStreams(
        this.src || '.',
        { ...(prefix ? { prefix } : {}), labels, order: 'recent', limit: LIST_LIMIT },
        options,
      );
      if (generation !== this.#searchGeneration) return;
      this.#found = new Map(page.streams.map((stream) => [stream.name, stream]));
      this.requestUpdate();
    } catch {
      // The newest streams are still listed; a failed extra search adds nothing.
    }
  }

  #onKey(event: KeyboardEvent): void {
    if (event.key === 'Escape') {
      event.stopPropagation();
      this.toggle(false);
      this.renderRoot.querySelector<HTMLButtonElement>('.toggle')?.focus();
    } else if (event.key === 'Enter' && event.target instanceof HTMLInputElement) {
      // Choosing moves the focus to the picker's button: the key press must not go on to click it
      // (that opened the picker again over the chosen stream).
      event.preventDefault();
      const first = this.#matches()[0];
      if (first !== undefined) this.#choose(first.name);
    }
  }

  protected override render(): unknown {
    const current = this.current ?? 'default';
    return html`<button type="button" class="toggle" aria-haspopup="true" aria-expanded=${this.#open ? 'true' : 'false'}
        title="Switch stream" @click=${() => this.toggle()}>Stream: ${current} ▾</button>
      ${this.#open ? this.#renderPanel(current) : nothing}`;
  }

  #renderPanel(current: string): unknown {
    const matches = this.#matches();
    const now = Date.now();
    return html`<div class="panel" role="dialog" aria-label="Streams" @keydown=${(event: KeyboardEvent) => this.#onKey(event)}>
      <input type="search" aria-label="Search streams by name or label" placeholder="Search by name or label (env=prod)"
        .value=${this.#query} @input=${(event: Event) => {
          this.#query = (event.target as HTMLInputElement).value;
          void this.#searchServer(this.#query);
          this.requestUpdate();
        }} />
      ${this.#error ? html`<div class="error" role="alert">${this.#error}</div>` : nothing}
      ${
        this.#loaded && matches.length === 0
          ? html`<div class="empty">${this.#streams.length === 0 ? 'No streams yet' : 'No stream matches'}</div>`
          : nothing
      }
      <ul aria-label="Streams, newest activity first">
        ${matches.map((stream) => {
          const state = streamStateText(stream);
          const failed = stream.end?.exitCode !== undefined && stream.end.exitCode !== 0;
          const labels = Object.entries(stream.labels).map(([key, value]) => `${key}=${value}`);
          return html`<li><button type="button" data-stream=${stream.name} aria-current=${stream.name === current ? 'true' : 'false'}
            @click=${() => this.#choose(stream.name)}>
            <span class="name">${stream.name}</span>
            <span class="state" data-state=${stream.state} ?data-failed=${failed}>${state}</span>
            <span class="meta">${timeAgo(stream.lastTime, now)} · ${stream.entries.toLocaleString('en-US')} lines${
              labels.length > 0 ? ` · ${labels.join(' ')}` : ''
            }</span>
          </button></li>`;
        })}
      </ul>
    </div>`;
  }
}

if (!customElements.get('livelog-stream-picker')) customElements.define('livelog-stream-picker', LivelogStreamPicker);

declare global {
  interface HTMLElementTagNameMap {
    'livelog-stream-picker': LivelogStreamPicker;
  }
  interface HTMLElementEventMap {
    'livelog-stream-change': CustomEvent<{ name: string }>;
  }
}
