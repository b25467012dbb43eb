import { LEVEL_NAMES } from '@livelog/protocol';
import { html, nothing, svg, type TemplateResult } from 'lit';
import type { HistogramAnswer } from '../state/api-json.js';
import type { SearchView } from '../state/search-view.js';
import { shortTime } from '../state/time-range.js';

/** What the strip does when used. */
export interface HistogramActions {
  /** A brush over [from, to] (epoch ms): show that range. */
  zoom(from: number, to: number): void;
  /** A click at `time`: show the lines from then. */
  jump(time: number): void;
  changed(): void;
}

/** A drag shorter than this many pixels is a click. */
const CLICK_PX = 4;

function total(counts: Partial<Record<string, number>>): number {
  let sum = 0;
  for (const count of Object.values(counts)) sum += count ?? 0;
  return sum;
}

/** The time at a fraction of the strip's width. */
function timeAt(answer: HistogramAnswer, fraction: number): number {
  const span = Math.max(answer.buckets.length * answer.bucketMs, answer.until - answer.since);
  return answer.since + Math.min(1, Math.max(0, fraction)) * span;
}

function bars(answer: HistogramAnswer, utc: boolean): TemplateResult[] {
  const max = Math.max(1, ...answer.buckets.map((bucket) => total(bucket.counts)));
  return answer.buckets.map((bucket, index) => {
    let y = 100;
    const sum = total(bucket.counts);
    const parts = LEVEL_NAMES.map((level) => {
      const value = bucket.counts[level] ?? 0;
      if (value === 0) return nothing;
      const height = (value / max) * 100;
      y -= height;
      return svg`<rect class="h-${level}" x=${index} y=${y} width="0.86" height=${height}></rect>`;
    });
    const described = LEVEL_NAMES.filter((level) => (bucket.counts[level] ?? 0) > 0)
      .map((level) => `${level} ${bucket.counts[level]}`)
      .join(', ');
    return svg`<g data-start=${bucket.start} data-total=${sum}><title>${shortTime(bucket.start, utc)} · ${sum.toLocaleString('en-US')} lines${
      described ? ` (${described})` : ''
    }</title><rect class="h-hit" x=${index} y="0" width="1" height="100"></rect>${parts}</g>`;
  });
}

/**
 * The volume strip above the lines: lines per time bucket, stacked by level. Dragging across it
 * (a brush) zooms the view to that range; a click shows the lines from that moment.
 */
export function renderHistogram(search: SearchView, utc: boolean, actions: HistogramActions): TemplateResult {
  const { answer, error, loading } = search.histogram;
  if (answer === undefined) {
    return html`<div class="histogram pending" part="histogram" data-state=${error ? 'error' : 'loading'}>${
      error
        ? html`<span class="h-note">Volume unavailable: ${error}</span>`
        : html`<span class="h-note">${loading ? 'Counting lines…' : ''}</span>`
    }</div>`;
  }
  const lines = answer.buckets.reduce((sum, bucket) => sum + total(bucket.counts), 0);
  const fraction = (event: PointerEvent): number => {
    const box = (event.currentTarget as HTMLElement).getBoundingClientRect();
    return box.width === 0 ? 0 : (event.clientX - box.left) / box.width;
  };
  const onDown = (event: PointerEvent): void => {
    if (event.button !== 0) return;
    (event.currentTarget as HTMLElement).setPointerCapture?.(event.pointerId);
    const at = fraction(event);
    search.brush = { from: at, to: at, x: event.clientX };
    actions.changed();
  };
  const onMove = (event: PointerEvent): void => {
    if (search.brush === undefined) return;
    search.brush = { ...search.brush, to: fraction(event) };
    actions.changed();
  };
  const onUp = (event: PointerEvent): void => {
    const brush = search.brush;
    if (brush === undefined) return;
    search.brush = undefined;
    const to = fraction(event);
    if (Math.abs(event.clientX - brush.x) < CLICK_PX) actions.jump(timeAt(answer, to));
    else actions.zoom(timeAt(answer, brush.from), timeAt(answer, to));
    actions.changed();
  };
  const brush = search.brush;
  const left = brush === undefined ? 0 : Math.min(brush.from, brush.to);
  const width = brush === undefined ? 0 : Math.abs(brush.to - brush.from);
  return html`<div class="histogram" part="histogram" data-state=${loading ? 'loading' : 'ready'} data-total=${lines}
      data-since=${answer.since} data-until=${answer.until} ?data-partial=${answer.partial === true}>
    <div class="h-plot" role="img" aria-label="Lines over time: ${lines.toLocaleString('en-US')} from ${shortTime(answer.since, utc)} to ${shortTime(answer.until, utc)}. Drag to zoom, click to jump."
      @pointerdown=${onDown} @pointermove=${onMove} @pointerup=${onUp} @pointercancel=${() => {
        search.brush = undefined;
        actions.changed();
      }}>
      <svg viewBox="0 0 ${Math.max(1, answer.buckets.length)} 100" preserveAspectRatio="none" aria-hidden="true">${bars(answer, utc)}</svg>
      ${brush === undefined ? nothing : html`<div class="h-brush" style="left:${left * 100}%;width:${width * 100}%"></div>`}
    </div>
    <div class="h-axis" aria-hidden="true"><span>${shortTime(answer.since, utc)}</span><span>${lines.toLocaleString('en-US')} lines${
      answer.partial ? ' (partial)' : ''
    }</span><span>${shortTime(answer.until, utc)}</span></div>
    ${search.seekError ? html`<div class="h-note" role="alert">${search.seekError}</div>` : nothing}
  </div>`;
}
