import { css } from 'lit';

/**
 * Styles of the search parts: the volume histogram strip, the time-range picker, the query syntax
 * popover and the context panel (also in the narrow, phone layout).
 */
export const searchStyles = css`
  .frame {
    position: relative;
  }
  .histogram {
    flex: 0 0 auto;
    padding: 4px 8px 2px;
    border-bottom: 1px solid var(--ll-border);
    background: var(--ll-panel);
    font-size: 11px;
    color: var(--ll-muted);
    min-height: 22px;
  }
  .h-plot {
    position: relative;
    height: 40px;
    cursor: crosshair;
    touch-action: none;
    user-select: none;
  }
  .h-plot svg {
    display: block;
    width: 100%;
    height: 100%;
  }
  .h-hit {
    fill: transparent;
  }
  g:hover > .h-hit {
    fill: var(--ll-selected);
  }
  .h-trace { fill: var(--ll-level-trace); }
  .h-debug { fill: var(--ll-level-debug); }
  .h-info { fill: var(--ll-level-info); }
  .h-warn { fill: var(--ll-level-warn); }
  .h-error { fill: var(--ll-level-error); }
  .h-fatal { fill: var(--ll-level-fatal); }
  .h-brush {
    position: absolute;
    top: 0;
    bottom: 0;
    background: rgb(80 140 255 / 0.25);
    border: 1px solid var(--ll-accent);
    pointer-events: none;
  }
  .h-axis {
    display: flex;
    justify-content: space-between;
    gap: 8px;
    white-space: nowrap;
    overflow: hidden;
  }
  .h-note {
    padding: 2px 0;
    color: var(--ll-muted);
  }
  .h-note[role='alert'] {
    color: var(--ll-danger);
  }
  .search details.menu > summary {
    border: 0;
    border-left: 1px solid var(--ll-border);
    border-radius: 0;
    font-family: var(--ll-font);
  }
  .query-help .menu-body {
    width: min(420px, calc(100vw - 16px));
    font-size: 12px;
  }
  .query-help table {
    border-collapse: collapse;
  }
  .query-help caption {
    text-align: left;
    font-weight: 600;
    padding-bottom: 4px;
  }
  .query-help th {
    text-align: left;
    padding: 2px 8px 2px 0;
    white-space: nowrap;
    font-weight: 400;
  }
  .hint {
    font-size: 11px;
    color: var(--ll-muted);
  }
  .range-form {
    display: flex;
    flex-direction: column;
    gap: 4px;
    border-top: 1px solid var(--ll-border);
    padding-top: 6px;
  }
  .range-form input {
    font: inherit;
    color: inherit;
    background: var(--ll-bg);
    border: 1px solid var(--ll-border);
    border-radius: 4px;
    padding: 2px 4px;
    min-width: 0;
  }
  .range > summary {
    max-width: 260px;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .context-panel {
    position: absolute;
    z-index: 6;
    left: 8px;
    right: 8px;
    bottom: 8px;
    max-height: min(70%, 520px);
    display: flex;
    flex-direction: column;
    background: var(--ll-panel);
    border: 1px solid var(--ll-border);
    border-radius: 8px;
    box-shadow: 0 8px 24px rgb(0 0 0 / 0.3);
  }
  .context-head {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 6px 10px;
    padding: 6px 8px;
    border-bottom: 1px solid var(--ll-border);
    font-size: 13px;
  }
  .context-close {
    margin-left: auto;
  }
  .context-lines {
    overflow: auto;
    padding: 4px 0;
    font-family: var(--ll-font);
    font-size: var(--ll-font-size);
    line-height: var(--ll-row-height);
  }
  .context-line {
    display: flex;
    gap: 1ch;
    padding: 0 8px;
    white-space: pre;
  }
  .context-line.anchor {
    background: var(--ll-target);
    box-shadow: inset 3px 0 0 var(--ll-accent);
  }
  .context-more {
    margin: 2px 8px;
  }
  @container (max-width: 480px) {
    .context-panel {
      left: 0;
      right: 0;
      bottom: 0;
      max-height: 80%;
    }
    .context-line {
      white-space: pre-wrap;
      flex-wrap: wrap;
      overflow-wrap: anywhere;
    }
    .range > summary {
      max-width: 100%;
    }
  }
`;
