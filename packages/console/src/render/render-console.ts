import type { LogEntry } from '@livelog/protocol';
import { html, nothing, type TemplateResult } from 'lit';
import { copyText } from '../actions/copy-text.js';
import type { DownloadFormat } from '../actions/download-lines.js';
import type { Shortcut } from '../actions/keyboard-shortcuts.js';
import { permalinkUrl } from '../actions/permalink.js';
import type { ConsoleSession } from '../state/console-session.js';
import type { LogModel } from '../state/log-model.js';
import type { VirtualListController } from '../state/virtual-list.js';
import { entryToJson, entryToText } from './format-line.js';
import { keyedRows } from './keyed-rows.js';
import { renderHelp } from './render-help.js';
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
  /** The user is about to scroll (wheel, touch, pointer, keys): a scroll soon after is theirs. */
  userScrolls(): void;
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
  };
  const showPill = !view.following && (view.unseen > 0 || model.mode === 'detached');
  return html`<div class="frame ${view.wrap ? 'wrap' : ''}">
      ${renderToolbar({
        filter,
        filterError: session.filterError,
        highlight: session.highlight,
        sources: model.sources.names(),
        following: view.following,
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
      <div class="viewport" part="viewport" role="log" aria-label="Log lines" tabindex="0" @scroll=${actions.scrolled}
        @wheel=${actions.userScrolls} @touchmove=${actions.userScrolls} @pointerdown=${actions.userScrolls} @keydown=${actions.userScrolls}>
        <div class="spacer" style="height:${list.virtualizer.getTotalSize()}px">
          ${renderEdge(model)}
          ${keyedRows(
            list.items(),
            // Keyed by line, so a row that stays in view keeps its element while scrolling: only the rows
            // coming into view are created, and the rest is not touched.
            (item) => item.key as number | string,
            (item) => {
              const row = rows[item.index];
              return row === undefined ? nothing : renderRow(row, item.index, item.start, rowContext);
            },
          )}
        </div>
      </div>
      ${
        showPill
          ? html`<button type="button" class="pill" part="pill" @click=${() => actions.goLive()}>↓ ${view.unseen.toLocaleString('en-US')} new ${
              view.unseen === 1 ? 'line' : 'lines'
            }</button>`
          : nothing
      }
      ${view.helpOpen ? renderHelp(() => actions.run('escape')) : nothing}
    </div>`;
}
