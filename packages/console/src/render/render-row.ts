import type { LogEntry } from '@livelog/protocol';
import { html, nothing, type TemplateResult } from 'lit';
import { guard } from 'lit/directives/guard.js';
import { styleMap } from 'lit/directives/style-map.js';
import type { BufferItem } from '../state/log-buffer.js';
import { type AnsiSegment, ansiSegments } from './ansi-segments.js';
import { compactFields, formatClock, formatFullTime } from './format-line.js';
import { type Highlighter, splitHighlights } from './highlight.js';
import type { RowCache } from './row-cache.js';

/** What a row needs besides its item. */
export interface RowContext {
  utc: boolean;
  highlighter: Highlighter;
  /** Where rows keep what they show between renders. */
  cache: RowCache;
  selectedSeq: number | undefined;
  targetSeq: number | undefined;
  onSelect: (entry: LogEntry) => void;
  onCopy: (entry: LogEntry) => void;
  onCopyLink: (entry: LogEntry) => void;
  onCopyJson: (entry: LogEntry) => void;
  /** Shows the lines around this one, unfiltered. */
  onContext: (entry: LogEntry) => void;
}

const LEVEL_LABEL: Record<string, string> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'FATAL',
};

function segmentStyle(segment: AnsiSegment): Record<string, string> {
  const style: Record<string, string> = {};
  if (segment.fg) style.color = segment.fg;
  if (segment.bg) style['background-color'] = segment.bg;
  if (segment.bold) style['font-weight'] = '700';
  if (segment.dim) style.opacity = '0.65';
  if (segment.italic) style['font-style'] = 'italic';
  if (segment.underline || segment.strike) {
    style['text-decoration'] = [segment.underline ? 'underline' : '', segment.strike ? 'line-through' : ''].join(' ').trim();
  }
  return style;
}

function highlighted(text: string, highlighter: Highlighter): TemplateResult | string | (TemplateResult | string)[] {
  const pieces = splitHighlights(text, highlighter);
  if (pieces.length === 1 && pieces[0]?.mark === undefined) return text;
  // Text goes into Lit text bindings: it becomes text nodes, so markup in a log line stays text.
  return pieces.map((piece) => (piece.mark === undefined ? piece.text : html`<mark class="m${piece.mark}">${piece.text}</mark>`));
}

/** The message: ANSI SGR runs as styled spans holding text nodes, with highlight marks inside. */
export function renderMessage(msg: string, highlighter: Highlighter): unknown {
  const segments = ansiSegments(msg);
  if (segments.length === 1 && segments[0] !== undefined && Object.keys(segments[0]).length === 1) {
    return highlighted(segments[0].text, highlighter);
  }
  return segments.map((segment) => html`<span style=${styleMap(segmentStyle(segment))}>${highlighted(segment.text, highlighter)}</span>`);
}

/** How many lines a message holds after its first (a grouped stack trace, a multi-line message). */
export function extraLines(msg: string): number {
  let count = 0;
  for (let at = msg.indexOf('\n'); at >= 0; at = msg.indexOf('\n', at + 1)) count++;
  return count;
}

function renderDetail(entry: LogEntry, context: RowContext): TemplateResult {
  return html`<div class="detail" @click=${(event: Event) => event.stopPropagation()}>${
    entry.msg.includes('\n')
      ? html`<div class="full-msg" part="message-expanded">${renderMessage(entry.msg, context.highlighter)}</div>`
      : nothing
  }<div>id ${entry.id} · ${formatFullTime(entry.time, context.utc)} · ${entry.level} · ${entry.source}${entry.part ? ` · part ${entry.part.index}/${entry.part.count}` : ''}${entry.invalidUtf8 ? ' · invalid UTF-8 replaced' : ''}</div>${
    entry.fields === undefined ? nothing : html`<div part="fields-expanded">${JSON.stringify(entry.fields, null, 2)}</div>`
  }<div class="actions">
<button type="button" part="button" @click=${() => context.onCopy(entry)}>Copy line</button>
<button type="button" part="button" @click=${() => context.onCopyLink(entry)}>Copy link</button>
<button type="button" part="button" @click=${() => context.onCopyJson(entry)}>Copy JSON</button>
<button type="button" part="button" @click=${() => context.onContext(entry)}>Show context</button>
</div></div>`;
}

/**
 * What a line's row shows that depends only on the line and on the UTC and highlight settings: its
 * time, level badge, source, message (its first line: a stack trace is one row) and compact fields. Rows keep it in a RowCache, so scrolling
 * and the renders new lines cause do not format, parse ANSI or search for marks again.
 */
export function renderRowContent(entry: LogEntry, utc: boolean, highlighter: Highlighter): TemplateResult {
  return html`<span class="time" part="time" title=${formatFullTime(entry.time, utc)}>${formatClock(entry.time, utc)}</span><span class="lvl lvl-${
    entry.level
  }" part="level">${LEVEL_LABEL[entry.level] ?? entry.level}</span><span class="src" part="source">${entry.source}</span><span class="msg" part="message">${renderMessage(
    firstLine(entry.msg),
    highlighter,
  )}</span>${entry.fields === undefined ? nothing : html`<span class="fields" part="fields">${highlighted(compactFields(entry.fields), highlighter)}</span>`}`;
}

function firstLine(msg: string): string {
  const end = msg.indexOf('\n');
  return end < 0 ? msg : msg.slice(0, end);
}

/** The expand affordance of a multi-line message: how many lines the row hides, or that it shows them. */
function renderMore(entry: LogEntry, selected: boolean): unknown {
  const extra = extraLines(entry.msg);
  if (extra === 0) return nothing;
  // Not a button: the whole row is the control (a click expands it), and a row has no tab stop of its own.
  return html`<span class="more" part="more-lines" data-lines=${extra + 1}>${
    selected
      ? `all ${(extra + 1).toLocaleString('en-US')} lines below`
      : `+${extra.toLocaleString('en-US')} ${extra === 1 ? 'line' : 'lines'}`
  }</span>`;
}

/** One loaded line, or the marker of a gap. Positioned by the virtual list. */
export function renderRow(item: BufferItem, index: number, start: number, context: RowContext): TemplateResult {
  const position = `transform:translateY(${start}px)`;
  if (item.kind === 'gap') {
    return html`<div class="row gap" part="gap" role="note" data-index=${index} style=${position}>⚠ ${item.missed.toLocaleString('en-US')} ${
      item.missed === 1 ? 'line' : 'lines'
    } removed by retention here (seq ${item.fromSeq}–${item.toSeq})</div>`;
  }
  const entry = item.entry;
  const selected = entry.seq === context.selectedSeq;
  const classes = `row${selected ? ' selected' : ''}${entry.seq === context.targetSeq ? ' target' : ''}`;
  const content = context.cache.content(entry, context.utc, context.highlighter);
  // guard: a row that stays in view keeps its content's DOM untouched, not even compared part by part.
  return html`<div class=${classes} part="row" data-index=${index} data-seq=${entry.seq} data-level=${entry.level} style=${position}
@click=${() => context.onSelect(entry)}>${guard([content], () => content)}${renderMore(entry, selected)}${
    selected ? renderDetail(entry, context) : nothing
  }</div>`;
}
