import { LEVEL_NAMES, type LevelName } from '@livelog/protocol';
import { html, nothing, type TemplateResult } from 'lit';
import type { DownloadFormat } from '../actions/download-lines.js';
import type { FilterState } from '../state/line-filter.js';
import type { TimeRange } from '../state/time-range.js';
import { renderQueryHelp, renderRangePicker } from './render-range.js';

/** State and callbacks the toolbar renders from. */
export interface ToolbarContext {
  filter: FilterState;
  filterError: string | undefined;
  range: TimeRange;
  onRange: (range: TimeRange) => void;
  highlight: string;
  sources: readonly string[];
  following: boolean;
  /** The stream ended: no new line will come, so there is nothing to follow. */
  ended?: boolean;
  wrap: boolean;
  utc: boolean;
  dark: boolean;
  fullscreen: boolean;
  downloading: string | undefined;
  onText: (text: string) => void;
  onRegex: () => void;
  onInvert: () => void;
  onLevel: (level: LevelName | undefined) => void;
  onSource: (source: string, on: boolean) => void;
  onClearSources: () => void;
  onHighlight: (terms: string) => void;
  onFollow: () => void;
  onWrap: () => void;
  onUtc: () => void;
  onTheme: () => void;
  onDownload: (scope: 'loaded' | 'range', format: DownloadFormat) => void;
  onCancelDownload: () => void;
  onFullscreen: () => void;
  onHelp: () => void;
}

const pressed = (on: boolean): 'true' | 'false' => (on ? 'true' : 'false');

const DOWNLOADS: readonly [scope: 'loaded' | 'range', format: DownloadFormat, label: string][] = [
  ['loaded', 'text', 'Loaded lines (.log)'],
  ['loaded', 'ndjson', 'Loaded lines (.ndjson)'],
  ['range', 'text', 'Whole filtered range (.log)'],
  ['range', 'ndjson', 'Whole filtered range (.ndjson)'],
];

/** Small stroke icons: emoji and symbol fonts are missing on many Linux desktops. */
const icon = (path: string): TemplateResult =>
  html`<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"><path d=${path}></path></svg>`;
const ICONS = {
  pause: 'M5 3v10M11 3v10',
  play: 'M4 3l9 5-9 5z',
  download: 'M8 2v8M4.5 7L8 10.5 11.5 7M3 13.5h10',
  fullscreen: 'M2 6V2h4M10 2h4v4M14 10v4h-4M6 14H2v-4',
  moon: 'M13 9.5A5.5 5.5 0 0 1 6.5 3a5.5 5.5 0 1 0 6.5 6.5z',
  menu: 'M2 4h12M2 8h12M2 12h12',
  sun: 'M8 5a3 3 0 1 0 0 6 3 3 0 0 0 0-6zM8 1v1.5M8 13.5V15M1 8h1.5M13.5 8H15M3 3l1 1M12 12l1 1M3 13l1-1M12 4l1-1',
};

function closeMenu(event: Event): void {
  (event.currentTarget as HTMLElement).closest('details')?.removeAttribute('open');
}

const TOOLBAR_KEYS = new Set(['ArrowLeft', 'ArrowRight', 'Home', 'End']);

/**
 * Arrow keys, Home and End move between the toolbar's controls, as the ARIA toolbar pattern expects;
 * Tab moves through them too. Not from text fields or the level select, where those keys edit, and
 * not inside an open menu.
 */
function onToolbarKey(event: KeyboardEvent): void {
  const target = event.target as HTMLElement;
  if (!TOOLBAR_KEYS.has(event.key) || event.altKey || event.ctrlKey || event.metaKey) return;
  if ((target.localName !== 'button' && target.localName !== 'summary') || target.closest('.menu-body') !== null) return;
  const toolbar = event.currentTarget as HTMLElement;
  const controls = [...toolbar.querySelectorAll<HTMLElement>('input, select, button, summary')].filter(
    (control) => control.closest('.menu-body') === null && control.checkVisibility(),
  );
  const index = controls.indexOf(target);
  const last = controls.length - 1;
  const next =
    event.key === 'Home'
      ? 0
      : event.key === 'End'
        ? last
        : event.key === 'ArrowRight'
          ? index === last
            ? 0
            : index + 1
          : index <= 0
            ? last
            : index - 1;
  event.preventDefault();
  controls[next]?.focus();
}

/**
 * On a narrow console (a phone) only the search and this button show; it opens the other controls.
 * The state is the toolbar's class, set here and not by Lit (the template's class is static, so a
 * render leaves it alone): it is nobody else's business.
 */
function toggleControls(event: Event): void {
  const button = event.currentTarget as HTMLElement;
  const open = button.closest('.toolbar')?.classList.toggle('open') ?? false;
  button.setAttribute('aria-expanded', String(open));
}

/** The toolbar: search with regex/invert toggles, level, sources, highlight, and view controls. */
export function renderToolbar(context: ToolbarContext): TemplateResult {
  const { filter } = context;
  const sourceLabel =
    filter.sources.length === 0 ? 'All sources' : `${filter.sources.length} source${filter.sources.length === 1 ? '' : 's'}`;
  return html`<div class="toolbar" part="toolbar" role="toolbar" aria-label="Log view controls" @keydown=${onToolbarKey}>
    <div class="search" part="search">
      <input
        type="search"
        id="search"
        placeholder=${filter.regex ? 'Regular expression  ( / )' : 'Search: level:error "a phrase" -noise  ( / )'}
        aria-label="Filter lines by text"
        aria-describedby=${context.filterError === undefined ? nothing : 'filter-error'}
        aria-invalid=${pressed(context.filterError !== undefined)}
        title=${context.filterError ?? 'Search with the query language (see the ? beside). Press / or Ctrl-K.'}
        .value=${filter.text}
        @input=${(event: Event) => context.onText((event.target as HTMLInputElement).value)}
      />
      <button type="button" title="Regular expression" aria-label="Regular expression" aria-pressed=${pressed(filter.regex)} @click=${context.onRegex}>.*</button>
      <button type="button" title="Invert: show lines that do not match" aria-label="Invert match" aria-pressed=${pressed(filter.invert)} @click=${context.onInvert}>!</button>
      ${renderQueryHelp()}
    </div>
    <button type="button" class="controls-toggle" part="button controls-toggle" aria-expanded="false" aria-controls="more-controls"
      aria-label="Filters and view" title="Filters and view" @click=${toggleControls}>${icon(ICONS.menu)}</button>
    ${
      context.filterError === undefined
        ? nothing
        : html`<div class="filter-error" part="filter-error" id="filter-error" role="alert">${context.filterError}</div>`
    }
    <div class="more-controls" id="more-controls">
    <select aria-label="Minimum level" part="level-select" @change=${(event: Event) => {
      const value = (event.target as HTMLSelectElement).value;
      context.onLevel(value === '' ? undefined : (value as LevelName));
    }}>
      <option value="" ?selected=${filter.level === undefined}>All levels</option>
      ${LEVEL_NAMES.filter((level) => level !== 'trace').map(
        (level) => html`<option value=${level} ?selected=${filter.level === level}>≥ ${level}</option>`,
      )}
    </select>
    <details class="menu" part="sources">
      <summary aria-label="Sources: ${sourceLabel}">${sourceLabel}</summary>
      <div class="menu-body" role="group" aria-label="Sources">
        ${context.sources.length === 0 ? html`<span class="edge">No sources yet</span>` : nothing}
        ${context.sources.map(
          (source) => html`<label><input type="checkbox" .checked=${filter.sources.includes(source)}
            @change=${(event: Event) => context.onSource(source, (event.target as HTMLInputElement).checked)} />${source}</label>`,
        )}
        ${filter.sources.length > 0 ? html`<button type="button" @click=${context.onClearSources}>Show all sources</button>` : nothing}
      </div>
    </details>
    ${renderRangePicker(context.range, context.utc, context.onRange)}
    <div class="search highlight">
      <input type="text" id="highlight" placeholder="Highlight a, b" aria-label="Highlight terms, comma-separated"
        .value=${context.highlight} @input=${(event: Event) => context.onHighlight((event.target as HTMLInputElement).value)} />
    </div>
    ${
      context.ended
        ? html`<button type="button" part="button follow" class="follow-stopped" aria-pressed="false" disabled
            title="The stream ended: no new lines will come">■ Stopped</button>`
        : html`<button type="button" part="button follow" aria-pressed=${pressed(context.following)} title="Follow new lines (Space pauses)"
      @click=${context.onFollow}>${context.following ? html`${icon(ICONS.pause)} Pause` : html`${icon(ICONS.play)} Follow`}</button>`
    }
    <button type="button" part="button" aria-pressed=${pressed(context.wrap)} title="Wrap long lines (w)" @click=${context.onWrap}>Wrap</button>
    <button type="button" part="button" aria-pressed=${pressed(context.utc)} title="Show times in UTC (u)" @click=${context.onUtc}>UTC</button>
    <button type="button" part="button" aria-label=${context.dark ? 'Switch to light theme' : 'Switch to dark theme'} title="Theme (t)"
      @click=${context.onTheme}>${icon(context.dark ? ICONS.sun : ICONS.moon)}</button>
    <details class="menu" part="download">
      <summary aria-label="Download" title="Download">${icon(ICONS.download)}</summary>
      <div class="menu-body" role="group" aria-label="Download">
        ${
          context.downloading === undefined
            ? DOWNLOADS.map(
                ([scope, format, label]) =>
                  html`<button type="button" @click=${(event: Event) => {
                    closeMenu(event);
                    context.onDownload(scope, format);
                  }}>${label}</button>`,
              )
            : html`<span>${context.downloading}</span><button type="button" @click=${context.onCancelDownload}>Cancel download</button>`
        }
      </div>
    </details>
    <button type="button" part="button" aria-label="Fullscreen" aria-pressed=${pressed(context.fullscreen)} title="Fullscreen (f)" @click=${context.onFullscreen}>${icon(ICONS.fullscreen)}</button>
    <button type="button" part="button" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" @click=${context.onHelp}>?</button>
    </div>
  </div>`;
}
