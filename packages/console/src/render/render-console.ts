import type { LogEntry } from '@livelog/protocol';
import { html, nothing, type TemplateResult } from 'lit';
import { copyText } from '../actions/copy-text.js';
import type { DownloadFormat } from '../actions/download-lines.js';
import { keyScrollsView, type Shortcut } from '../actions/keyboard-shortcuts.js';
import { permalinkUrl } from '../actions/permalink.js';
import type { ConsoleSession } from '../state/console-session.js';
import type { LogModel } from '../state/log-model.js';
import type { SearchView } from '../state/search-view.js';
import { absoluteRange, type TimeRange } from '../state/time-range.js';
import type { VirtualListController } from '../state/virtual-list.js';
import { entryToJson, entryToText } from './format-line.js';
import { keyedRows } from './keyed-rows.js';
import { renderContext } from './render-context.js';
import { renderEmpty } from './render-empty.js';
import { renderHelp } from './render-help.js';
import { renderHistogram } from './render-histogram.js';
import { type RowContext, renderRow } from './render-row.js';
import { renderEdge, renderStatus } from './render-status.js';
import { renderToolbar } from './render-toolbar.js';
import type { RowCache } from './row-cache.js';

/** The view's own state, as the element holds it. */
export interface ConsoleView {
  following: boolean;
  /** Lines that arrived while paused. */
  unseen: number;
  wrap: boolean;
  utc: boolean;
  dark: boolean;
  fullscreen: boolean;
  helpOpen: boolean;
  selectedSeq: number | undefined;
  targetSeq: number | undefined;
  /** The progress label of a running download. */
  downloading: string | undefined;
  /** Rendered row contents, kept between renders. */
  rowCache: RowCache;
  /** The histogram, jump to time and the context panel. */
  search: SearchView;
}

/** What the controls do. */
export interface ConsoleActions {
  run(command: Shortcut): void;
  goLive(): void;
  showGap(): void;
  select(entry: LogEntry): void;
  download(scope: 'loaded' | 'range', format: DownloadFormat): void;
  cancelDownload(): void;
  /** The viewport scrolled (by anyone). */
  scrolled(event: Event): void;
  /** The user is about to scroll (wheel, touch, a press off the lines, keys): a scroll soon after is theirs. */
  userScrolls(): void;
  /** A pointer went down on a line: it must not move away before the click (or the text selection) ends. */
  /** A primary press on the line of `seq`, at client coordinates x, y. */
  pointerOnLine(seq: number, x: number, y: number): void;
  /** A click in the list, at client coordinates x, y, that landed on no line. */
  clickBesideLines(x: number, y: number): void;
  /** Shows another time range (the picker, a brush on the histogram). */
  setRange(range: TimeRange): void;
  /** Shows the lines from `time` on (a click on the histogram). */
  jumpToTime(time: number): void;
  /** Shows the line `id` in the log (a permalink jump). */
  jumpTo(id: string): void;
  /** Opens the context panel on a line, or loads more of it, or closes it. */
  showContext(entry: LogEntry): void;
  moreContext(side: 'before' | 'after'): void;
  closeContext(): void;
  /** Something only the view shows changed (a brush moving). */
  changed(): void;
}

/** The pill's words: why the view is paused when a line is expanded, and what arrived meanwhile. */
function pillText(view: ConsoleView): string {
  const lines = view.unseen > 0 ? `↓ ${view.unseen.toLocaleString('en-US')} new ${view.unseen === 1 ? 'line' : 'lines'}` : '↓ Follow';
  return view.selectedSeq === undefined ? lines : `Paused — line expanded · ${lines}`;
}

/** The whole element: toolbar, status line, the virtual list of lines, the pill and the help. */
export function renderConsole(
  model: LogModel,
  session: ConsoleSession,
  list: VirtualListController,
  view: ConsoleView,
  actions: ConsoleActions,
): TemplateResult {
  const { filter } = session;
  const rows = model.buffer.rows;
  const rowContext: RowContext = {
    utc: view.utc,
    highlighter: session.highlighter,
    cache: view.rowCache,
    selectedSeq: view.selectedSeq,
    targetSeq: view.targetSeq,
    onSelect: (entry) => actions.select(entry),
    onCopy: (entry) => void copyText(entryToText(entry, view.utc)),
    onCopyLink: (entry) => void copyText(permalinkUrl(location.href, entry.id)),
    onCopyJson: (entry) => void copyText(entryToJson(entry)),
    onContext: (entry) => actions.showContext(entry),
  };
  const showPill = !view.following && (view.unseen > 0 || model.mode === 'detached' || view.selectedSeq !== undefined);
  return html`<div class="frame ${view.wrap ? 'wrap' : ''}">
      ${renderToolbar({
        filter,
        filterError: session.filterError,
        range: session.range,
        onRange: (range) => actions.setRange(range),
        highlight: session.highlight,
        sources: model.sources.names(),
        following: view.following,
        ended: model.statusLine.connection.state === 'ended',
        wrap: view.wrap,
        utc: view.utc,
        dark: view.dark,
        fullscreen: view.fullscreen,
        downloading: view.downloading,
        onText: (text) => session.setFilter({ text }, 200),
        onRegex: () => session.setFilter({ regex: !filter.regex }),
        onInvert: () => session.setFilter({ invert: !filter.invert }),
        onLevel: (level) => session.setFilter({ level }),
        onSource: (source, on) =>
          session.setFilter({ sources: on ? [...filter.sources, source] : filter.sources.filter((s) => s !== source) }),
        onClearSources: () => session.setFilter({ sources: [] }),
        onHighlight: (terms) => session.setHighlight(terms),
        onFollow: () => actions.run('toggle-follow'),
        onWrap: () => actions.run('wrap'),
        onUtc: () => actions.run('utc'),
        onTheme: () => actions.run('theme'),
        onDownload: (scope, format) => actions.download(scope, format),
        onCancelDownload: () => actions.cancelDownload(),
        onFullscreen: () => actions.run('fullscreen'),
        onHelp: () => actions.run('help'),
      })}
      ${renderStatus(model, {
        following: view.following,
        unseen: view.unseen,
        onShowGap: () => actions.showGap(),
        onRetryNow: () => model.reconnectNow(),
      })}
      ${renderHistogram(view.search, view.utc, {
        zoom: (from, to) => actions.setRange(absoluteRange(from, to)),
        jump: (time) => actions.jumpToTime(time),
        changed: () => actions.changed(),
      })}
      <div class="viewport ${showPill ? 'pill-space' : ''}" part="viewport" role="log" aria-label="Log lines" tabindex="0" @scroll=${actions.scrolled}
        @wheel=${actions.userScrolls} @touchmove=${actions.userScrolls} @keydown=${(event: KeyboardEvent) => {
          if (keyScrollsView(event)) actions.userScrolls();
        }} @pointerdown=${(event: PointerEvent) => {
          // A press on a line is not a scroll: counted as one, the list's own scroll to the end (its
          // event comes a frame late) read as the reader's return to the end and resumed following
          // right after the press paused it. A press elsewhere (the scrollbar) may scroll.
          const pressed = (event.target as Element).closest<HTMLElement>('.row[data-seq]');
          if (pressed === null) actions.userScrolls();
          else if (event.button === 0) actions.pointerOnLine(Number(pressed.dataset.seq), event.clientX, event.clientY);
        }} @click=${(event: MouseEvent) => {
          // The pressed line can still move before the release (a frame of following already on its
          // way): the click then lands beside every line, and the line pressed is the one meant.
          if ((event.target as Element).closest('.row[data-seq], button, a, .detail') === null)
            actions.clickBesideLines(event.clientX, event.clientY);
        }}>
        <div class="spacer" style="height:${list.virtualizer.getTotalSize()}px">
          ${renderEdge(model)}
          ${keyedRows(
            list.items(view.following),
            // Keyed by line, so a row that stays in view keeps its element while scrolling: only the rows
            // coming into view are created, and the rest is not touched.
            (item) => item.key as number | string,
            (item) => {
              const row = rows[item.index];
              return row === undefined ? nothing : renderRow(row, item.index, item.start, rowContext);
            },
          )}
        </div>
        ${renderEmpty(model, session)}
      </div>
      ${
        showPill
          ? html`<button type="button" class="pill" part="pill" @click=${() => actions.goLive()}>${pillText(view)}</button>`
          : nothing
      }
      ${renderContext(view.search.context, view.utc, {
        close: () => actions.closeContext(),
        more: (side) => actions.moreContext(side),
        showInLog: (id) => {
          actions.closeContext();
          actions.jumpTo(id);
        },
      })}
      ${view.helpOpen ? renderHelp(() => actions.run('escape')) : nothing}
    </div>`;
}
