import type { EndInfo } from '@livelog/protocol';
import { html, nothing, type TemplateResult } from 'lit';
import type { LogModel } from '../state/log-model.js';

const count = (n: number): string => n.toLocaleString('en-US');

/** The words for the connection state, as shown and as announced. */
export function describeStatus(model: LogModel, now = Date.now()): string {
  const { connection: status, lag, retryAt } = model.statusLine;
  switch (status.state) {
    case 'live':
      if (lag > 0) return `Catching up: ${count(lag)} behind`;
      return model.mode === 'detached' ? 'Live (viewing history)' : 'Live';
    case 'connecting':
      return 'Connecting…';
    case 'reconnecting': {
      const seconds = retryAt === undefined ? undefined : Math.max(0, Math.ceil((retryAt - now) / 1000));
      return `Reconnecting (attempt ${status.attempt}${seconds === undefined ? '' : `, next retry in ${seconds} s`})`;
    }
    case 'failed':
      return `Disconnected${status.reason ? `: ${status.reason}` : ''}`;
    case 'closed':
      return 'Closed';
    case 'ended':
      return describeEnd(status.end);
  }
}

/** An end with a non-zero exit code: shown as a failure. */
function endedFailed(end: EndInfo | undefined): boolean {
  return end?.exitCode !== undefined && end.exitCode !== 0;
}

/** "Ended · exit 0", "Ended · exit 2 · signal SIGTERM", "Ended · end of input", or "Ended". */
export function describeEnd(end: EndInfo | undefined): string {
  const parts = ['Ended'];
  if (end?.exitCode !== undefined) parts.push(`exit ${end.exitCode}`);
  if (end?.reason !== undefined && end.reason !== '') parts.push(end.reason.length > 120 ? `${end.reason.slice(0, 119)}…` : end.reason);
  return parts.join(' · ');
}

/** What the status line needs besides the model. */
export interface StatusContext {
  following: boolean;
  /** Lines that arrived while paused. */
  unseen: number;
  onShowGap: () => void;
  onRetryNow: () => void;
}

/** The status line: connection state, catch-up and recovery, what is loaded, notices. */
export function renderStatus(model: LogModel, context: StatusContext): TemplateResult {
  const { following, unseen } = context;
  const { connection, recovered, retryAt } = model.statusLine;
  const loaded = model.buffer.size;
  const shown = model.buffer.rows.length;
  return html`<div class="status" part="status">
    <span class="state state-${connection.state}${endedFailed(connection.end) ? ' ended-failed' : ''}" role="status" aria-live="polite" data-state=${connection.state}><span class="dot" aria-hidden="true"></span>${describeStatus(model)}</span>
    ${
      connection.state === 'reconnecting' && retryAt !== undefined
        ? html`<button type="button" class="retry" part="button retry" @click=${context.onRetryNow}>Retry now</button>`
        : nothing
    }
    ${
      recovered !== undefined && connection.state === 'live'
        ? html`<span class="recovered" part="recovered" data-count=${recovered.count}>Recovered ${count(recovered.count)} ${recovered.count === 1 ? 'line' : 'lines'}</span>`
        : nothing
    }
    <span>${count(loaded)} loaded${shown < loaded ? html`, ${count(shown)} shown` : nothing}</span>
    ${following ? nothing : html`<span>Paused${unseen > 0 ? html` · ${count(unseen)} new` : nothing}</span>`}
    ${model.loadingOlder ? html`<span>Loading older lines…</span>` : nothing}
    ${
      model.lastGap
        ? html`<button type="button" class="gap-notice" part="gap-notice" @click=${context.onShowGap}>⚠ ${count(model.lastGap.missed)} ${
            model.lastGap.missed === 1 ? 'line' : 'lines'
          } removed by retention: show where</button>`
        : nothing
    }
    ${model.notice ? html`<span class="notice" role="alert">${model.notice}</span>` : nothing}
  </div>`;
}

/** The line above the first row: what lies before it. Outside the virtual list, so scroll anchoring ignores it. */
export function renderEdge(model: LogModel): TemplateResult {
  const text = model.loadingOlder
    ? 'Loading older lines…'
    : !model.olderAvailable
      ? 'Beginning of the retained log'
      : model.buffer.size > 0
        ? 'Scroll up for older lines'
        : 'Waiting for lines…';
  return html`<div class="row edge">${text}</div>`;
}
