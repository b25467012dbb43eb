import { html, nothing, type TemplateResult } from 'lit';
import type { ContextView } from '../state/context-view.js';
import { formatClock } from './format-line.js';

/** What the context panel's buttons do. */
export interface ContextActions {
  close(): void;
  more(side: 'before' | 'after'): void;
  /** Shows the line in the log itself (a permalink jump). */
  showInLog(id: string): void;
}

/**
 * The context panel: the lines around one, unfiltered, that line highlighted (and scrolled to when
 * the panel opens). A dialog over the view, closed by its button or Escape.
 */
export function renderContext(context: ContextView, utc: boolean, actions: ContextActions): TemplateResult | typeof nothing {
  const anchor = context.anchor;
  if (anchor === undefined) return nothing;
  return html`<div class="context-panel" part="context" role="dialog" aria-modal="false" aria-label="Context of line ${anchor.id}"
      @keydown=${(event: KeyboardEvent) => {
        if (event.key === 'Escape') {
          event.stopPropagation();
          actions.close();
        }
      }}>
    <div class="context-head">
      <strong>Context of line ${anchor.seq.toLocaleString('en-US')}</strong>
      <span class="hint">all lines, unfiltered</span>
      <button type="button" part="button" @click=${() => actions.showInLog(anchor.id)}>Show in log</button>
      <button type="button" part="button" class="context-close" aria-label="Close context" @click=${actions.close}>✕</button>
    </div>
    ${context.error ? html`<div class="h-note" role="alert">${context.error}</div>` : nothing}
    <div class="context-lines" tabindex="0" aria-busy=${context.loading ? 'true' : 'false'}>
      ${context.hasBefore ? html`<button type="button" part="button" class="context-more" @click=${() => actions.more('before')}>Earlier lines</button>` : nothing}
      ${context.entries.map(
        (entry) => html`<div class="context-line ${entry.id === anchor.id ? 'anchor' : ''}" data-seq=${entry.seq}
            aria-current=${entry.id === anchor.id ? 'true' : 'false'}><span class="time">${formatClock(entry.time, utc)}</span><span
            class="lvl lvl-${entry.level}">${entry.level.toUpperCase()}</span><span class="src">${entry.source}</span><span class="msg">${entry.msg}</span></div>`,
      )}
      ${context.hasAfter ? html`<button type="button" part="button" class="context-more" @click=${() => actions.more('after')}>Later lines</button>` : nothing}
      ${context.loading && context.entries.length === 0 ? html`<div class="h-note">Loading…</div>` : nothing}
    </div>
  </div>`;
}
