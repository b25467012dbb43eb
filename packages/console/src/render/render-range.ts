import { html, type TemplateResult } from 'lit';
import { fromLocalInput, RANGE_PRESETS, rangeLabel, resolveTime, type TimeRange, toLocalInput } from '../state/time-range.js';

function closeMenu(event: Event): void {
  (event.currentTarget as HTMLElement).closest('details')?.removeAttribute('open');
}

/**
 * The time-range picker: all time, the last 15 minutes / hour / 24 hours / 7 days ("until now": the
 * view keeps following), or an absolute range (its end empty: until now).
 */
export function renderRangePicker(range: TimeRange, utc: boolean, onRange: (range: TimeRange) => void): TemplateResult {
  const label = rangeLabel(range, utc);
  const apply = (event: Event): void => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const since = fromLocalInput((form.elements.namedItem('since') as HTMLInputElement).value);
    const until = fromLocalInput((form.elements.namedItem('until') as HTMLInputElement).value);
    form.closest('details')?.removeAttribute('open');
    onRange({ ...(since ? { since } : {}), ...(until ? { until } : {}) });
  };
  const choice = (next: TimeRange, text: string): TemplateResult => {
    const current = (next.since ?? '') === (range.since ?? '') && (next.until ?? '') === (range.until ?? '');
    return html`<button type="button" aria-pressed=${current ? 'true' : 'false'} @click=${(event: Event) => {
      closeMenu(event);
      onRange(next);
    }}>${text}</button>`;
  };
  return html`<details class="menu range" part="range">
    <summary aria-label="Time range: ${label}" title="Time range">${label}</summary>
    <div class="menu-body" role="group" aria-label="Time range">
      ${choice({}, 'All time')}
      ${RANGE_PRESETS.map((preset) => choice({ since: preset.since }, preset.label))}
      <form class="range-form" @submit=${apply}>
        <label>From <input type="datetime-local" step="1" name="since" .value=${toLocalInput(resolveTime(range.since))} /></label>
        <label>To <input type="datetime-local" step="1" name="until" .value=${toLocalInput(resolveTime(range.until))} /></label>
        <span class="hint">An empty “To” is until now: new lines keep coming.</span>
        <button type="submit">Apply range</button>
      </form>
    </div>
  </details>`;
}

/** The query language at a glance, next to the search box. */
export function renderQueryHelp(): TemplateResult {
  const rows: [string, string][] = [
    ['timeout db', 'both words (AND is implied), case-insensitive substrings'],
    ['"disk full"', 'the phrase, spaces included'],
    ['error OR warn', 'either'],
    ['-health', 'lines without it (also NOT health)'],
    ['(a OR b) c', 'grouping'],
    ['level:error', 'that level; level:>=warn for warn and above'],
    ['source:api', 'source contains api'],
    ['msg:"GET /"', 'in the message only'],
    ['user.id:42', 'a JSON field (numbers exact; >, >=, <, <= work)'],
  ];
  return html`<details class="menu query-help" part="query-help">
    <summary aria-label="Query syntax help" title="Query syntax">?</summary>
    <div class="menu-body" role="group" aria-label="Query syntax">
      <table>
        <caption>Query syntax</caption>
        ${rows.map(([example, meaning]) => html`<tr><th scope="row"><code>${example}</code></th><td>${meaning}</td></tr>`)}
      </table>
      <span class="hint">Operators are upper case. The .* button switches to a regular expression, ! inverts.</span>
    </div>
  </details>`;
}
