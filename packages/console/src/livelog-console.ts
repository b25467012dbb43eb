import type { LogEntry } from '@livelog/protocol';
import { LitElement, nothing, type PropertyValues } from 'lit';
import { ConsoleCommands } from './actions/console-commands.js';
import { DownloadTask } from './actions/download-lines.js';
import { commandForKey } from './actions/keyboard-shortcuts.js';
import { PageListeners } from './actions/page-listeners.js';
import { permalinkId, permalinkOfUrl } from './actions/permalink.js';
import { type ConsoleStats, dispatchConsoleEvent } from './console-events.js';
import { consoleStyles } from './render/console-styles.js';
import { panelStyles } from './render/panel-styles.js';
import { type ConsoleActions, renderConsole } from './render/render-console.js';
import { HelpDialog } from './render/render-help.js';
import { RowCache } from './render/row-cache.js';
import { searchStyles } from './render/search-styles.js';
import { ConsoleSession } from './state/console-session.js';
import { EMPTY_FILTER, type FilterState, filterFromAttributes } from './state/line-filter.js';
import type { LogModel } from './state/log-model.js';
import { SearchAnnouncement } from './state/search-announcement.js';
import { SearchView } from './state/search-view.js';
import type { ConnectionStatus } from './state/status-line.js';
import { sameRange, type TimeRange } from './state/time-range.js';
import { ViewAnchors } from './state/view-anchors.js';
import { VirtualListController } from './state/virtual-list.js';

const ROW_HEIGHT = 20;
const DEFAULT_MAX_LINES = 200_000;
const DEFAULT_TAIL = 1000;

/**
 * `<livelog-console>`: a live, lossless view of a livelog server's log.
 *
 * Attributes: `src` (server base URL; default `.`, relative, so it works under any base path), `stream` (a named
 * stream; default the server's `default` stream; changing it shows that stream, resuming where this tab last was in
 * it), `tail` (lines shown at start; default 1000), `level` (minimum), `source` (comma list), `query` (the search box's
 * query), `since`/`until` (the time range: ISO 8601, epoch ms or relative like `15m`; no `until` follows), `max-lines` (lines held;
 * default 200,000, older ones reload from the server), `theme` (`auto` | `light` | `dark`), `wrap`, `utc`,
 * `global-shortcuts` (keys on the whole page). `token` is a property only: as an attribute the secret would sit in
 * the DOM for any selector.
 *
 * Events (bubbling, composed): `livelog-status`, `livelog-select`, `livelog-gap`, `livelog-recovered`,
 * `livelog-theme`, `livelog-search` (query or range changed: a page puts them in its URL), `livelog-token` (a token
 * entered in the prompt: a page may open another stream with it).
 * Parts of the search: `histogram`, `range`, `query-help`, `context`. Styling: `--ll-*` custom properties and the parts `toolbar`, `search`, `status`,
 * `viewport`, `row`, `time`, `level`, `source`, `message`, `fields`, `gap`, `pill`, `help`, `button`, `retry`.
 * A reload resumes from the position kept in `sessionStorage` (see ConsoleSession's consoleCursor).
 * @see ../README.md
 */
export class LivelogConsole extends LitElement {
  static override styles = [consoleStyles, panelStyles, searchStyles];
  static override properties = {
    src: { type: String },
    stream: { type: String },
    token: { type: String, attribute: false },
    tail: { type: Number },
    level: { type: String },
    source: { type: String },
    query: { type: String },
    since: { type: String },
    until: { type: String },
    maxLines: { type: Number, attribute: 'max-lines' },
    theme: { type: String, reflect: true },
    wrap: { type: Boolean, reflect: true },
    utc: { type: Boolean, reflect: true },
    globalShortcuts: { type: Boolean, attribute: 'global-shortcuts' },
  };

  declare src: string;
  declare stream: string | undefined;
  declare token: string | undefined;
  declare tail: number;
  declare level: string | undefined;
  declare source: string | undefined;
  declare query: string | undefined;
  declare since: string | undefined;
  declare until: string | undefined;
  declare maxLines: number;
  declare theme: 'auto' | 'light' | 'dark';
  declare wrap: boolean;
  declare utc: boolean;
  declare globalShortcuts: boolean;

  /** True while new lines scroll into view; false while paused (lines still arrive and are kept). */
  following = true;
  readonly #session = new ConsoleSession({
    changed: () => this.#schedule(),
    appended: (count) => {
      if (!this.following) this.#unseen += count;
    },
    status: (detail) => dispatchConsoleEvent(this, 'livelog-status', detail),
    gap: (gap) => dispatchConsoleEvent(this, 'livelog-gap', gap),
    recovered: (count) => dispatchConsoleEvent(this, 'livelog-recovered', { count }),
    received: (batch) => this.#search.histogram.noteEntries(batch),
    // The volume strip counted the old log: ask again once the new one says hello.
    restarted: () => this.#search.histogram.reset(),
    tokenEntered: () => dispatchConsoleEvent(this, 'livelog-token', {}),
  });
  readonly #search = new SearchView({ changed: () => this.#schedule(), jumpTo: (id) => this.jumpTo(id) });
  readonly #announcement = new SearchAnnouncement(this, () => ({ filter: this.filter, range: this.range }));
  #unseen = 0;
  readonly #help = new HelpDialog();
  readonly #rowCache = new RowCache();
  readonly #download = new DownloadTask(() => this.requestUpdate());
  readonly #anchors = new ViewAnchors();
  #frame = 0;
  readonly #page = new PageListeners(
    this,
    {
      keydown: (event) => {
        const command = commandForKey(event, { helpOpen: this.#help.open, selected: this.#commands.selectedSeq !== undefined });
        if (command !== undefined) this.#commands.run(command);
      },
      hashchange: (event) => {
        const id = permalinkId(location.hash);
        if (id !== undefined) void this.jumpTo(id);
        // Back from a permalink (its hash gone): the page without one is the live tail, as it opened.
        else if (permalinkOfUrl(event.oldURL) !== undefined) this.goLive();
      },
      restyle: () => this.requestUpdate(),
      tick: () => {
        // The retry countdown and the age of "recovered" are shown in seconds.
        if (this.#model?.statusLine.connection.state === 'reconnecting' || this.#model?.statusLine.recovered) this.requestUpdate();
        this.#model?.sources.refreshIfStale();
      },
    },
    () => this.globalShortcuts,
  );
  readonly #list: VirtualListController = new VirtualListController(this, {
    getScrollElement: (): HTMLElement | null => this.#viewport(),
    rows: () => ({ count: this.#model?.buffer.rows.length ?? 0, shape: this.#model?.buffer.shape ?? 0 }),
    getItemKey: (index) => this.#model?.buffer.rows[index]?.key ?? index,
    estimateSize: ROW_HEIGHT,
    follow: true,
  });
  readonly #commands: ConsoleCommands = new ConsoleCommands(this, {
    model: () => this.#model,
    list: this.#list,
    anchors: this.#anchors,
    help: this.#help,
    search: this.#search,
    viewport: () => this.#viewport(),
    isDark: () => this.#isDark(),
  });

  readonly #actions: ConsoleActions = {
    run: (command) => this.#commands.run(command),
    goLive: () => this.goLive(),
    showGap: () => this.showGap(),
    select: (entry) => this.#commands.select(entry, true),
    download: (scope, format) => {
      if (this.#model) void this.#download.start(this.#model, scope, format);
    },
    cancelDownload: () => this.#download.cancel(),
    scrolled: (event) => this.#commands.scrolled(event),
    userScrolls: () => this.#anchors.userScrolls(),
    pointerOnLine: (seq, x, y) => this.#commands.press(seq, x, y),
    clickBesideLines: (x, y) => this.#commands.clickBesideLines(x, y),
    setRange: (range) => this.setRange(range),
    jumpToTime: (time) => void this.#search.seek(this.#session.target, time),
    jumpTo: (id) => void this.jumpTo(id),
    showContext: (entry) => void this.#search.context.show(this.#session.target, entry),
    moreContext: (side) => void this.#search.context.more(this.#session.target, side),
    closeContext: () => this.#search.context.close(),
    changed: () => this.requestUpdate(),
  };

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
    return this.#session.filter;
  }

  get #model(): LogModel | undefined {
    return this.#session.model;
  }

  /** The connection state. */
  get connection(): ConnectionStatus | undefined {
    return this.#model?.statusLine.connection;
  }

  /** Counters for dashboards and tests. */
  getStats(): ConsoleStats {
    return this.#session.stats();
  }

  /** Changes part of the filter (level, sources, text, regex, invert). */
  setFilter(change: Partial<FilterState>, debounceMs = 0): void {
    this.#session.setFilter(change, debounceMs);
  }

  /** The time range shown (`since`/`until`); empty: all of it. */
  get range(): TimeRange {
    return this.#session.range;
  }

  /** Shows another time range; one without `until` keeps following new lines. */
  setRange(range: TimeRange): void {
    if (range.until === undefined && !sameRange(range, this.#session.range)) this.following = true;
    this.#session.setRange(range);
  }

  /** Colors matches of these comma-separated terms without filtering. */
  setHighlight(terms: string): void {
    this.#session.setHighlight(terms);
  }

  /** Pauses the view; lines keep arriving and are kept. */
  pause(): void {
    if (!this.following) return;
    this.following = false;
    // A scroll to the end still running (retargeted at the growing end) would carry the view away.
    this.#list.virtualizer.cancelScroll();
    this.requestUpdate();
  }

  /**
   * Jumps to the newest line and follows (reloading the live tail if a history window is shown). An
   * expanded line collapses: it is about to scroll away, and its selection would pause again.
   */
  goLive(): void {
    const model = this.#model;
    if (model?.mode === 'detached') model.reloadLive();
    this.#commands.clear(true);
    this.following = true;
    this.#unseen = 0;
    this.requestUpdate();
    void this.updateComplete.then(() => this.#list.virtualizer.scrollToEnd());
  }

  /** Shows the lines around `id`, highlights it and pauses. Resolves to whether the line was found. */
  async jumpTo(id: string): Promise<boolean> {
    const model = this.#model;
    if (model === undefined) return false;
    this.following = false;
    const outcome = await model.jumpTo(id);
    const found = outcome === 'found';
    // A link to another log or past its end shows the live tail (and says why): follow it.
    if (outcome === 'live') this.following = true;
    const seq = Number(id.slice(id.lastIndexOf(':') + 1));
    this.#commands.targetSeq = found ? seq : undefined;
    this.#commands.selectedSeq = found ? seq : undefined;
    this.requestUpdate();
    await this.updateComplete;
    if (found) this.#commands.scrollToSeq(seq, 'center');
    return found;
  }

  /** Pauses and scrolls to the marker of the last gap the server reported. */
  showGap(): void {
    const index = this.#model?.buffer.lastGapIndex() ?? -1;
    if (index < 0) return;
    this.pause();
    this.#list.scrollToIndex(index, 'center', this.following);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#session.setFilter({ ...EMPTY_FILTER, ...filterFromAttributes(this.level, this.source), text: this.query ?? '' });
    this.#session.setRange(this.#rangeOfAttributes());
    this.#announcement.settle();
    this.#start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#session.disconnect();
    cancelAnimationFrame(this.#frame);
    // A cancelled frame never runs, so nothing else would clear it and #schedule would wait for it.
    this.#frame = 0;
    this.#download.cancel();
    this.#anchors.disconnect();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (this.#model !== undefined && (changed.has('src') || changed.has('token')) && changed.get('src') !== undefined) this.#start();
    else if (this.#model !== undefined && changed.has('stream') && this.hasUpdated) {
      // Another stream: what was selected or paused on belongs to the one left.
      this.following = true;
      this.#unseen = 0;
      this.#commands.clear(false);
      this.#start();
    }
    if (this.#model !== undefined && (changed.has('level') || changed.has('source')) && this.hasUpdated) {
      this.setFilter(filterFromAttributes(this.level, this.source));
    }
    // The page echoes what `livelog-search` announced back as the attribute: only another query is applied.
    const query = this.query ?? '';
    if (
      this.#model !== undefined &&
      changed.has('query') &&
      this.hasUpdated &&
      query !== this.filter.text &&
      query !== this.#announcement.query
    ) {
      this.setFilter({ text: this.query ?? '' });
    }
    if (this.#model !== undefined && (changed.has('since') || changed.has('until')) && this.hasUpdated)
      this.setRange(this.#rangeOfAttributes());
    if (changed.has('maxLines') && this.hasUpdated) this.#model?.setMaxLines(this.#maxLines());
    if (this.#model !== undefined) this.#model.tail = Math.max(0, Math.floor(this.tail));
    this.#list.sync(this.following);
    if (this.#model !== undefined) this.#search.refresh(this.#session.target, this.#session.serverFilter, () => this.#model?.newest);
  }

  protected override updated(): void {
    this.#announcement.announce();
    this.#anchors.afterRender(this.#viewport(), this.following);
    const virtualizer = this.#list.virtualizer;
    this.#list.measure(this.#viewport()?.firstElementChild?.children ?? []);
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
    const view = {
      following: this.following,
      unseen: this.#unseen,
      wrap: this.wrap,
      utc: this.utc,
      dark: this.#isDark(),
      fullscreen: this.#commands.fullscreen,
      helpOpen: this.#help.open,
      selectedSeq: this.#commands.selectedSeq,
      targetSeq: this.#commands.targetSeq,
      downloading: this.#download.label,
      rowCache: this.#rowCache,
      search: this.#search,
    };
    return renderConsole(model, this.#session, this.#list, view, this.#actions);
  }

  #rangeOfAttributes(): TimeRange {
    return { ...(this.since ? { since: this.since } : {}), ...(this.until ? { until: this.until } : {}) };
  }

  #start(): void {
    this.#search.histogram.reset();
    this.#search.context.close();
    const id = permalinkId(location.hash);
    this.#session.connect({
      url: this.src || '.',
      ...(this.token ? { token: this.token } : {}),
      ...(this.stream ? { stream: this.stream } : {}),
      maxLines: this.#maxLines(),
      tail: Math.max(0, Math.floor(this.tail)),
      // A permalink shows its own place; otherwise a reloaded page resumes where it was.
      resume: id === undefined,
    });
    if (id !== undefined) void this.jumpTo(id);
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

  #isDark(): boolean {
    return this.theme === 'dark' || (this.theme !== 'light' && this.#page.prefersDark);
  }

  readonly #viewport = (): HTMLElement | null => this.renderRoot?.querySelector?.<HTMLElement>('.viewport') ?? null;
}

if (!customElements.get('livelog-console')) customElements.define('livelog-console', LivelogConsole);

declare global {
  interface HTMLElementTagNameMap {
    'livelog-console': LivelogConsole;
  }
}
