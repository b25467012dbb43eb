import { isLevelName, type LevelName, type LogEntry } from '@livelog/protocol';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { copyText } from './actions/copy-text.js';
import { type DownloadFormat, downloadLines } from './actions/download-lines.js';
import { isTypingTarget, type Shortcut, shortcutFor } from './actions/keyboard-shortcuts.js';
import { permalinkId, permalinkUrl } from './actions/permalink.js';
import { type ConsoleStats, dispatchConsoleEvent, type LivelogStatusDetail } from './console-events.js';
import { consoleStyles } from './render/console-styles.js';
import { entryToJson, entryToText } from './render/format-line.js';
import { createHighlighter, type Highlighter } from './render/highlight.js';
import { renderHelp } from './render/render-help.js';
import { renderRow } from './render/render-row.js';
import { renderEdge, renderStatus } from './render/render-status.js';
import { renderToolbar } from './render/render-toolbar.js';
import { createLogSource } from './state/create-log-source.js';
import { sessionCursorMemory } from './state/cursor-memory.js';
import { findErrorRow } from './state/find-error-row.js';
import { compileFilter, EMPTY_FILTER, type FilterState, serverFilterOf } from './state/line-filter.js';
import { LogModel } from './state/log-model.js';
import type { ConnectionStatus } from './state/log-source.js';
import { VirtualListController } from './state/virtual-list.js';

const ROW_HEIGHT = 20;
const DEFAULT_MAX_LINES = 200_000;
const DEFAULT_TAIL = 1000;

/**
 * `<livelog-console>`: a live, lossless view of a livelog server's log.
 *
 * Attributes: `src` (server base URL; default `.`, relative, so it works under any base path),
 * `token`, `tail` (lines shown at start; default 1000), `level` (minimum), `source` (comma list),
 * `max-lines` (lines held; default 200,000, older ones reload from the server), `theme`
 * (`auto` | `light` | `dark`), `wrap`, `utc`, `global-shortcuts` (listen for keys on the whole page).
 *
 * Events (bubbling, composed): `livelog-status`, `livelog-select`, `livelog-gap`, `livelog-recovered`,
 * `livelog-theme`. Styling: `--ll-*` custom properties and the parts `toolbar`, `search`, `status`,
 * `viewport`, `row`, `time`, `level`, `source`, `message`, `fields`, `gap`, `pill`, `help`, `button`.
 * @see ../README.md
 */
export class LivelogConsole extends LitElement {
  static override styles = consoleStyles;
  static override properties = {
    src: { type: String },
    token: { type: String },
    tail: { type: Number },
    level: { type: String },
    source: { type: String },
    maxLines: { type: Number, attribute: 'max-lines' },
    theme: { type: String, reflect: true },
    wrap: { type: Boolean, reflect: true },
    utc: { type: Boolean, reflect: true },
    globalShortcuts: { type: Boolean, attribute: 'global-shortcuts' },
  };

  declare src: string;
  declare token: string | undefined;
  declare tail: number;
  declare level: string | undefined;
  declare source: string | undefined;
  declare maxLines: number;
  declare theme: 'auto' | 'light' | 'dark';
  declare wrap: boolean;
  declare utc: boolean;
  declare globalShortcuts: boolean;

  /** True while new lines scroll into view; false while paused (lines still arrive and are kept). */
  following = true;
  #model: LogModel | undefined;
  #filter: FilterState = EMPTY_FILTER;
  #filterError: string | undefined;
  #highlight = '';
  #highlighter: Highlighter = createHighlighter(undefined, '');
  #unseen = 0;
  #selectedSeq: number | undefined;
  #targetSeq: number | undefined;
  #helpOpen = false;
  /** Where focus was when the help opened, to give it back when it closes. */
  #focusBeforeHelp: HTMLElement | null = null;
  #downloading: { label: string; abort: AbortController } | undefined;
  #retryAt: number | undefined;
  #userScrollUntil = 0;
  #filterTimer: ReturnType<typeof setTimeout> | undefined;
  #tick: ReturnType<typeof setInterval> | undefined;
  #frame = 0;
  readonly #dark = globalThis.matchMedia?.('(prefers-color-scheme: dark)');
  readonly #list: VirtualListController = new VirtualListController(this, {
    getScrollElement: (): HTMLElement | null => this.renderRoot?.querySelector?.<HTMLElement>('.viewport') ?? null,
    count: 0,
    getItemKey: (index) => this.#model?.buffer.rows[index]?.key ?? index,
    estimateSize: ROW_HEIGHT,
    follow: true,
  });

  constructor() {
    super();
    this.src = '.';
    this.tail = DEFAULT_TAIL;
    this.maxLines = DEFAULT_MAX_LINES;
    this.theme = 'auto';
    this.wrap = false;
    this.utc = false;
    this.globalShortcuts = false;
  }

  /** The loaded lines, oldest first (filtered out ones included). */
  get entries(): LogEntry[] {
    return this.#model?.buffer.entries() ?? [];
  }

  /** The current filter. */
  get filter(): FilterState {
    return this.#filter;
  }

  /** The connection state. */
  get connection(): ConnectionStatus | undefined {
    return this.#model?.status;
  }

  /** Counters for dashboards and tests. */
  getStats(): ConsoleStats {
    const model = this.#model;
    return {
      loaded: model?.buffer.size ?? 0,
      shown: model?.buffer.rows.length ?? 0,
      received: model?.received ?? 0,
      rejected: model?.buffer.rejected ?? 0,
      rate: model?.rate() ?? 0,
      mode: model?.mode ?? 'live',
      sources: [...(model?.sources.values() ?? [])],
    };
  }

  /** Changes part of the filter (level, sources, text, regex, invert). */
  setFilter(change: Partial<FilterState>, debounceMs = 0): void {
    this.#filter = { ...this.#filter, ...change };
    clearTimeout(this.#filterTimer);
    const apply = (): void => {
      const compiled = compileFilter(this.#filter);
      this.#filterError = compiled.error;
      this.#highlighter = createHighlighter(compiled.pattern, this.#highlight);
      this.#model?.setFilter(serverFilterOf(this.#filter), compiled.match);
      this.requestUpdate();
    };
    if (debounceMs > 0) this.#filterTimer = setTimeout(apply, debounceMs);
    else apply();
    this.requestUpdate();
  }

  /** Colors matches of these comma-separated terms without filtering. */
  setHighlight(terms: string): void {
    this.#highlight = terms;
    this.#highlighter = createHighlighter(compileFilter(this.#filter).pattern, terms);
    this.requestUpdate();
  }

  /** Pauses the view; lines keep arriving and are kept. */
  pause(): void {
    if (!this.following) return;
    this.following = false;
    this.requestUpdate();
  }

  /** Jumps to the newest line and follows (reloading the live tail if a history window is shown). */
  goLive(): void {
    const model = this.#model;
    if (model?.mode === 'detached') model.reloadLive();
    this.following = true;
    this.#unseen = 0;
    this.#targetSeq = undefined;
    this.requestUpdate();
    void this.updateComplete.then(() => this.#list.virtualizer.scrollToEnd());
  }

  /** Shows the lines around `id`, highlights it and pauses. Resolves to whether the line was found. */
  async jumpTo(id: string): Promise<boolean> {
    const model = this.#model;
    if (model === undefined) return false;
    this.following = false;
    const found = await model.jumpTo(id);
    const seq = Number(id.slice(id.lastIndexOf(':') + 1));
    this.#targetSeq = found ? seq : undefined;
    this.#selectedSeq = found ? seq : undefined;
    this.requestUpdate();
    await this.updateComplete;
    if (found) this.#scrollToSeq(seq, 'center');
    return found;
  }

  /** Pauses and scrolls to the marker of the last gap the server reported. */
  showGap(): void {
    const rows = this.#model?.buffer.rows ?? [];
    for (let index = rows.length - 1; index >= 0; index--) {
      if (rows[index]?.kind !== 'gap') continue;
      this.pause();
      this.#list.virtualizer.scrollToIndex(index, { align: 'center' });
      return;
    }
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#filter = { ...EMPTY_FILTER, ...this.#filterFromAttributes() };
    this.#start();
    this.#dark?.addEventListener('change', this.#onSchemeChange);
    window.addEventListener('hashchange', this.#onHashChange);
    document.addEventListener('fullscreenchange', this.#onFullscreenChange);
    (this.globalShortcuts ? window : this).addEventListener('keydown', this.#onKeyDown as EventListener);
    this.#tick = setInterval(() => {
      // The retry countdown and the age of "recovered" are shown in seconds.
      if (this.#model?.status.state === 'reconnecting' || this.#model?.recovered) this.requestUpdate();
      this.#model?.refreshStaleSources();
    }, 1000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#model?.stop();
    this.#model = undefined;
    this.#dark?.removeEventListener('change', this.#onSchemeChange);
    window.removeEventListener('hashchange', this.#onHashChange);
    document.removeEventListener('fullscreenchange', this.#onFullscreenChange);
    window.removeEventListener('keydown', this.#onKeyDown as EventListener);
    this.removeEventListener('keydown', this.#onKeyDown as EventListener);
    clearInterval(this.#tick);
    cancelAnimationFrame(this.#frame);
    this.#downloading?.abort.abort();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (this.#model !== undefined && (changed.has('src') || changed.has('token')) && changed.get('src') !== undefined) this.#start();
    if (this.#model !== undefined && (changed.has('level') || changed.has('source')) && this.hasUpdated) {
      this.setFilter(this.#filterFromAttributes());
    }
    if (changed.has('maxLines') && this.hasUpdated) this.#model?.setMaxLines(this.#maxLines());
    if (this.#model !== undefined) this.#model.tail = Math.max(0, Math.floor(this.tail));
    this.#list.update({ count: this.#model?.buffer.rows.length ?? 0, follow: this.following });
  }

  protected override updated(): void {
    const virtualizer = this.#list.virtualizer;
    for (const row of this.renderRoot.querySelectorAll<HTMLElement>('.row[data-index]')) virtualizer.measureElement(row);
    if (this.following && !virtualizer.isAtEnd(4)) virtualizer.scrollToEnd();
    // Paging is decided after rendering, when the virtualizer's range matches what is on screen.
    const model = this.#model;
    const range = virtualizer.range;
    if (model === undefined || range === null) return;
    if (range.startIndex < 5 && !this.following) void model.loadOlder();
    if (model.mode === 'detached' && range.endIndex >= model.buffer.rows.length - 5) void model.loadNewer();
  }

  protected override render(): unknown {
    const model = this.#model;
    if (model === undefined) return nothing;
    const rows = model.buffer.rows;
    const dark = this.#isDark();
    const context = {
      utc: this.utc,
      highlighter: this.#highlighter,
      selectedSeq: this.#selectedSeq,
      targetSeq: this.#targetSeq,
      onSelect: (entry: LogEntry) => this.#select(entry),
      onCopy: (entry: LogEntry) => void copyText(entryToText(entry, this.utc)),
      onCopyLink: (entry: LogEntry) => void copyText(permalinkUrl(location.href, entry.id)),
      onCopyJson: (entry: LogEntry) => void copyText(entryToJson(entry)),
    };
    const showPill = !this.following && (this.#unseen > 0 || model.mode === 'detached');
    return html`<div class="frame ${this.wrap ? 'wrap' : ''}">
      ${renderToolbar({
        filter: this.#filter,
        filterError: this.#filterError,
        highlight: this.#highlight,
        sources: [...model.sources.keys()].sort(),
        following: this.following,
        wrap: this.wrap,
        utc: this.utc,
        dark,
        fullscreen: this.#isFullscreen(),
        downloading: this.#downloading?.label,
        onText: (text) => this.setFilter({ text }, 200),
        onRegex: () => this.setFilter({ regex: !this.#filter.regex }),
        onInvert: () => this.setFilter({ invert: !this.#filter.invert }),
        onLevel: (level) => this.setFilter({ level }),
        onSource: (source, on) =>
          this.setFilter({ sources: on ? [...this.#filter.sources, source] : this.#filter.sources.filter((s) => s !== source) }),
        onClearSources: () => this.setFilter({ sources: [] }),
        onHighlight: (terms) => this.setHighlight(terms),
        onFollow: () => this.#run('toggle-follow'),
        onWrap: () => this.#run('wrap'),
        onUtc: () => this.#run('utc'),
        onTheme: () => this.#run('theme'),
        onDownload: (scope, format) => void this.#download(scope, format),
        onCancelDownload: () => this.#downloading?.abort.abort(),
        onFullscreen: () => this.#run('fullscreen'),
        onHelp: () => this.#run('help'),
      })}
      ${renderStatus(model, {
        following: this.following,
        unseen: this.#unseen,
        retryAt: this.#retryAt,
        onShowGap: () => this.showGap(),
        onRetryNow: () => model.reconnectNow(),
      })}
      <div class="viewport" part="viewport" role="log" aria-label="Log lines" tabindex="0" @scroll=${this.#onScroll}
        @wheel=${this.#onUserScroll} @touchmove=${this.#onUserScroll} @pointerdown=${this.#onUserScroll} @keydown=${this.#onUserScroll}>
        <div class="spacer" style="height:${this.#list.virtualizer.getTotalSize()}px">
          ${renderEdge(model)}
          ${this.#list.items().map((item) => {
            const row = rows[item.index];
            return row === undefined ? nothing : renderRow(row, item.index, item.start, context);
          })}
        </div>
      </div>
      ${showPill ? html`<button type="button" class="pill" part="pill" @click=${() => this.goLive()}>↓ ${this.#unseen.toLocaleString('en-US')} new ${this.#unseen === 1 ? 'line' : 'lines'}</button>` : nothing}
      ${this.#helpOpen ? renderHelp(() => this.#run('escape')) : nothing}
    </div>`;
  }

  #start(): void {
    this.#model?.stop();
    const url = this.src || '.';
    const source = createLogSource({ url, ...(this.token ? { token: this.token } : {}) });
    const memory = sessionCursorMemory(url);
    const model = new LogModel(
      source,
      {
        changed: () => this.#schedule(),
        appended: (count) => {
          if (!this.following) this.#unseen += count;
        },
        status: (status) => {
          this.#retryAt = status.nextRetryMs === undefined ? undefined : Date.now() + status.nextRetryMs;
          this.#emitStatus();
        },
        gap: (gap) => dispatchConsoleEvent(this, 'livelog-gap', gap),
        recovered: (count) => {
          dispatchConsoleEvent(this, 'livelog-recovered', { count });
          this.#emitStatus();
        },
        cursor: (lastEventId) => memory.save(lastEventId),
      },
      { maxLines: this.#maxLines(), tail: Math.max(0, Math.floor(this.tail)) },
    );
    this.#model = model;
    const compiled = compileFilter(this.#filter);
    this.#filterError = compiled.error;
    this.#highlighter = createHighlighter(compiled.pattern, this.#highlight);
    const id = permalinkId(location.hash);
    // A permalink shows its own place; otherwise a reloaded page resumes where it was.
    model.start(serverFilterOf(this.#filter), compiled.match, id === undefined ? memory.load() : undefined);
    if (id !== undefined) void this.jumpTo(id);
    void model.refreshSources();
  }

  #emitStatus(): void {
    const model = this.#model;
    if (model === undefined) return;
    const detail: LivelogStatusDetail = { ...model.status, lag: model.lag, mode: model.mode };
    if (model.recovered !== undefined) detail.recovered = model.recovered.count;
    dispatchConsoleEvent(this, 'livelog-status', detail);
  }

  /** Renders at most once per frame however many batches arrive. */
  #schedule(): void {
    if (this.#frame !== 0) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.requestUpdate();
    });
  }

  #maxLines(): number {
    return Number.isFinite(this.maxLines) && this.maxLines >= 100 ? Math.floor(this.maxLines) : DEFAULT_MAX_LINES;
  }

  #filterFromAttributes(): Partial<FilterState> {
    const level = this.level?.trim().toLowerCase();
    const sources = (this.source ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return { level: level !== undefined && isLevelName(level) ? (level as LevelName) : undefined, sources };
  }

  /** `document.fullscreenElement` is retargeted to the outermost shadow host: ask this element's own root. */
  #isFullscreen(): boolean {
    const root = this.getRootNode() as Document | ShadowRoot;
    return root.fullscreenElement === this;
  }

  #isDark(): boolean {
    return this.theme === 'dark' || (this.theme !== 'light' && (this.#dark?.matches ?? false));
  }

  #select(entry: LogEntry): void {
    this.#selectedSeq = this.#selectedSeq === entry.seq ? undefined : entry.seq;
    if (this.#selectedSeq !== undefined) this.pause();
    dispatchConsoleEvent(this, 'livelog-select', { entry: this.#selectedSeq === undefined ? undefined : entry });
    this.requestUpdate();
  }

  #scrollToSeq(seq: number, align: 'center' | 'auto'): void {
    const index = this.#model?.buffer.rowIndexOfSeq(seq) ?? -1;
    if (index >= 0) this.#list.virtualizer.scrollToIndex(index, { align });
  }

  #jumpToError(step: 1 | -1): void {
    const rows = this.#model?.buffer.rows ?? [];
    const range = this.#list.virtualizer.range;
    const selected = this.#selectedSeq === undefined ? -1 : (this.#model?.buffer.rowIndexOfSeq(this.#selectedSeq) ?? -1);
    // Without a selection, start from the edge of what is on screen.
    const from = selected >= 0 ? selected : step > 0 ? (range?.startIndex ?? 0) - 1 : (range?.endIndex ?? rows.length - 1) + 1;
    const found = findErrorRow(rows, from, step);
    if (found === undefined) return;
    this.pause();
    this.#selectedSeq = found.seq;
    dispatchConsoleEvent(this, 'livelog-select', { entry: found });
    this.requestUpdate();
    void this.updateComplete.then(() => this.#scrollToSeq(found.seq, 'center'));
  }

  #run(shortcut: Shortcut): void {
    switch (shortcut) {
      case 'search':
        this.renderRoot.querySelector<HTMLInputElement>('#search')?.focus();
        break;
      case 'toggle-follow':
        if (this.following) this.pause();
        else this.goLive();
        break;
      case 'top':
        this.pause();
        this.#list.virtualizer.scrollToOffset(0);
        break;
      case 'live':
        this.goLive();
        break;
      case 'next-error':
        this.#jumpToError(1);
        break;
      case 'previous-error':
        this.#jumpToError(-1);
        break;
      case 'wrap':
        this.wrap = !this.wrap;
        break;
      case 'utc':
        this.utc = !this.utc;
        break;
      case 'theme':
        this.theme = this.#isDark() ? 'light' : 'dark';
        dispatchConsoleEvent(this, 'livelog-theme', { theme: this.theme });
        break;
      case 'fullscreen':
        if (this.#isFullscreen()) void document.exitFullscreen();
        else void this.requestFullscreen?.().catch(() => undefined);
        break;
      case 'help':
        this.#helpOpen = !this.#helpOpen;
        this.requestUpdate();
        if (this.#helpOpen) {
          this.#focusBeforeHelp = this.renderRoot instanceof ShadowRoot ? (this.renderRoot.activeElement as HTMLElement | null) : null;
          void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('#help-close')?.focus());
        } else this.#restoreFocus();
        break;
      case 'escape': {
        const active = this.renderRoot instanceof ShadowRoot ? this.renderRoot.activeElement : null;
        if (this.#helpOpen) {
          this.#helpOpen = false;
          this.#restoreFocus();
        } else if (isTypingTarget(active)) this.renderRoot.querySelector<HTMLElement>('.viewport')?.focus();
        else if (this.#selectedSeq !== undefined) this.#selectedSeq = undefined;
        this.requestUpdate();
        break;
      }
    }
  }

  #restoreFocus(): void {
    const previous = this.#focusBeforeHelp;
    this.#focusBeforeHelp = null;
    void this.updateComplete.then(() =>
      (previous?.isConnected ? previous : this.renderRoot.querySelector<HTMLElement>('.viewport'))?.focus(),
    );
  }

  async #download(scope: 'loaded' | 'range', format: DownloadFormat): Promise<void> {
    const model = this.#model;
    if (model === undefined || this.#downloading !== undefined) return;
    const abort = new AbortController();
    this.#downloading = { label: 'Downloading…', abort };
    this.requestUpdate();
    try {
      await downloadLines(model, scope, format, abort.signal, (lines) => {
        if (this.#downloading) this.#downloading.label = `Downloading… ${lines.toLocaleString('en-US')} lines`;
        this.requestUpdate();
      });
    } catch (error) {
      if (!abort.signal.aborted) model.notice = `download failed: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      this.#downloading = undefined;
      this.requestUpdate();
    }
  }

  readonly #onKeyDown = (event: KeyboardEvent): void => {
    if (event.defaultPrevented) return;
    const path = event.composedPath();
    const menu = path.find((node): node is HTMLDetailsElement => node instanceof HTMLDetailsElement && node.open);
    if (event.key === 'Escape' && menu !== undefined) {
      // A menu closes first, and focus goes back to its button, as with any disclosure.
      event.preventDefault();
      menu.open = false;
      menu.querySelector('summary')?.focus();
      return;
    }
    const target = path[0] ?? null;
    // Space belongs to the control it lands on (a button, a checkbox) before it means pause.
    if (event.key === ' ' && target instanceof HTMLElement && target.closest('button, summary, a, select, input, label')) return;
    const shortcut = shortcutFor(event, isTypingTarget(target));
    if (shortcut === undefined || (shortcut === 'escape' && !this.#helpOpen && !this.#selectedSeq && !isTypingTarget(target))) return;
    event.preventDefault();
    this.#run(shortcut);
  };

  readonly #onUserScroll = (): void => {
    this.#userScrollUntil = performance.now() + 400;
  };

  readonly #onScroll = (event: Event): void => {
    const viewport = event.currentTarget as HTMLElement;
    const atEnd = viewport.scrollHeight - viewport.scrollTop - viewport.clientHeight <= 4;
    if (performance.now() < this.#userScrollUntil) {
      if (this.following && !atEnd) this.pause();
      else if (!this.following && atEnd && this.#model?.mode === 'live') this.goLive();
    }
  };

  readonly #onHashChange = (): void => {
    const id = permalinkId(location.hash);
    if (id !== undefined) void this.jumpTo(id);
  };

  readonly #onSchemeChange = (): void => this.requestUpdate();
  readonly #onFullscreenChange = (): void => this.requestUpdate();
}

if (!customElements.get('livelog-console')) customElements.define('livelog-console', LivelogConsole);

declare global {
  interface HTMLElementTagNameMap {
    'livelog-console': LivelogConsole;
  }
}
