import { css, unsafeCSS } from 'lit';
import { DARK, LIGHT } from './console-themes.js';

/** Styles of `<livelog-console>`. Layout: toolbar, status line, the scrolling list, overlays. */
export const consoleStyles = css`
  :host {
    ${unsafeCSS(LIGHT)}
    --ll-font: ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace;
    --ll-ui-font: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    --ll-font-size: 13px;
    --ll-row-height: 20px;
    display: block;
    position: relative;
    height: 100%;
    min-height: 240px;
    background: var(--ll-bg);
    color: var(--ll-fg);
    font-family: var(--ll-ui-font);
    font-size: 14px;
    contain: strict;
  }
  @media (prefers-color-scheme: dark) {
    :host(:not([theme='light'])) {
      ${unsafeCSS(DARK)}
    }
  }
  :host([theme='dark']) {
    ${unsafeCSS(DARK)}
  }
  :host(:fullscreen) {
    height: 100vh;
  }
  * {
    box-sizing: border-box;
  }
  .frame {
    display: flex;
    flex-direction: column;
    height: 100%;
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 6px;
    padding: 6px 8px;
    background: var(--ll-panel);
    border-bottom: 1px solid var(--ll-border);
  }
  .search {
    display: flex;
    flex: 1 1 220px;
    min-width: 0;
    align-items: center;
    border: 1px solid var(--ll-border);
    border-radius: 6px;
    background: var(--ll-bg);
  }
  .search:focus-within {
    outline: 2px solid var(--ll-accent);
    outline-offset: -1px;
  }
  input[type='search'],
  input[type='text'] {
    flex: 1 1 auto;
    min-width: 0;
    border: 0;
    padding: 5px 8px;
    background: transparent;
    color: inherit;
    font: inherit;
    outline: none;
  }
  input[aria-invalid='true'] {
    color: var(--ll-danger);
  }
  .highlight {
    flex: 0 1 160px;
  }
  button,
  select,
  summary {
    font: inherit;
    font-size: 13px;
    color: inherit;
    background: var(--ll-bg);
    border: 1px solid var(--ll-border);
    border-radius: 6px;
    min-height: 30px;
    min-width: 30px;
    padding: 3px 8px;
    cursor: pointer;
  }
  button,
  summary {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 4px;
  }
  .search button {
    border: 0;
    border-left: 1px solid var(--ll-border);
    border-radius: 0;
    font-family: var(--ll-font);
  }
  button[aria-pressed='true'] {
    background: var(--ll-accent);
    color: var(--ll-accent-fg);
    border-color: var(--ll-accent);
  }
  button:focus-visible,
  select:focus-visible,
  summary:focus-visible,
  .viewport:focus-visible {
    outline: 2px solid var(--ll-accent);
    outline-offset: -2px;
  }
  details.menu {
    position: relative;
  }
  details.menu > summary {
    list-style: none;
    display: inline-flex;
    align-items: center;
  }
  details.menu > summary::-webkit-details-marker {
    display: none;
  }
  .menu-body {
    position: absolute;
    z-index: 5;
    top: calc(100% + 4px);
    right: 0;
    min-width: 200px;
    max-height: 50vh;
    overflow: auto;
    padding: 6px;
    background: var(--ll-panel);
    border: 1px solid var(--ll-border);
    border-radius: 6px;
    box-shadow: 0 8px 24px rgb(0 0 0 / 0.25);
    display: flex;
    flex-direction: column;
    gap: 4px;
  }
  .menu-body label {
    display: flex;
    gap: 6px;
    align-items: center;
    padding: 2px 4px;
    white-space: nowrap;
  }
  .menu-body button {
    text-align: left;
  }
  .status {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 4px 12px;
    padding: 3px 8px;
    font-size: 12px;
    color: var(--ll-muted);
    border-bottom: 1px solid var(--ll-border);
    min-height: 24px;
  }
  .state {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    color: var(--ll-fg);
    font-weight: 600;
  }
  .dot {
    width: 8px;
    height: 8px;
    border-radius: 50%;
    background: var(--ll-muted);
  }
  .state-live .dot {
    background: var(--ll-ok);
  }
  .state-reconnecting .dot,
  .state-connecting .dot {
    background: var(--ll-warn);
  }
  .state-failed .dot,
  .state-closed .dot,
  .ended-failed .dot {
    background: var(--ll-danger);
  }
  .notice {
    color: var(--ll-gap-fg);
  }
  .gap-notice {
    min-height: 20px;
    padding: 0 8px;
    font-size: 12px;
    color: var(--ll-gap-fg);
    background: var(--ll-gap-bg);
    border-color: var(--ll-gap-fg);
  }
  .retry {
    min-height: 20px;
    padding: 0 8px;
    font-size: 12px;
  }
  .viewport {
    position: relative;
    flex: 1 1 auto;
    overflow: auto;
    overscroll-behavior: contain;
    font-family: var(--ll-font);
    font-size: var(--ll-font-size);
    line-height: var(--ll-row-height);
  }
  .spacer {
    position: relative;
    width: 100%;
    min-width: max-content;
  }
  .row {
    position: absolute;
    top: 0;
    left: 0;
    min-width: 100%;
    padding: 0 8px;
    white-space: pre;
    cursor: default;
  }
  .wrap .row {
    width: 100%;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .row:hover {
    background: var(--ll-panel);
  }
  .row.selected {
    background: var(--ll-selected);
  }
  .row.target {
    background: var(--ll-target);
    box-shadow: inset 3px 0 0 var(--ll-accent);
  }
  .time {
    color: var(--ll-muted);
    margin-right: 1ch;
  }
  .lvl {
    display: inline-block;
    min-width: 5ch;
    margin-right: 1ch;
    font-weight: 700;
  }
  .lvl-trace { color: var(--ll-level-trace); }
  .lvl-debug { color: var(--ll-level-debug); }
  .lvl-info { color: var(--ll-level-info); }
  .lvl-warn { color: var(--ll-level-warn); }
  .lvl-error { color: var(--ll-level-error); }
  .lvl-fatal {
    color: var(--ll-level-fatal-fg);
    background: var(--ll-level-fatal);
    text-align: center;
  }
  .src {
    color: var(--ll-accent);
    margin-right: 1ch;
  }
  /* A bidi control in a line (U+202E, an unclosed U+2067) ends with the part that carries it: the
     fields and the "+N lines" after a message are not drawn reversed, before it. */
  .msg,
  .fields,
  .more {
    unicode-bidi: isolate;
  }
  .fields {
    color: var(--ll-muted);
    margin-left: 1ch;
  }
  mark {
    color: var(--ll-mark-fg);
    border-radius: 2px;
  }
  mark.m0 { background: var(--ll-mark-0); }
  mark.m1 { background: var(--ll-mark-1); }
  mark.m2 { background: var(--ll-mark-2); }
  mark.m3 { background: var(--ll-mark-3); }
  mark.m4 { background: var(--ll-mark-4); }
  mark.m5 { background: var(--ll-mark-5); }
  .detail {
    white-space: normal;
    overflow-wrap: anywhere;
    margin: 4px 0 6px 2ch;
    padding: 6px 8px;
    border-left: 2px solid var(--ll-accent);
    background: var(--ll-panel);
    font-size: 12px;
    line-height: 18px;
    max-width: calc(100vw - 40px);
  }
  .detail [part='fields-expanded'] {
    white-space: pre-wrap;
    margin-top: 4px;
  }
  .detail .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
    margin-top: 6px;
    font-family: var(--ll-ui-font);
  }
  .gap {
    color: var(--ll-gap-fg);
    background: var(--ll-gap-bg);
    font-style: italic;
  }
  .edge {
    color: var(--ll-muted);
    font-style: italic;
    font-family: var(--ll-ui-font);
    font-size: 12px;
  }
  .pill {
    position: absolute;
    z-index: 4;
    left: 50%;
    bottom: 16px;
    transform: translateX(-50%);
    border-radius: 999px;
    padding: 6px 16px;
    background: var(--ll-accent);
    color: var(--ll-accent-fg);
    border: 0;
    box-shadow: 0 4px 16px rgb(0 0 0 / 0.3);
    font-weight: 600;
  }
  .overlay {
    position: absolute;
    inset: 0;
    z-index: 10;
    display: grid;
    place-items: center;
    background: rgb(0 0 0 / 0.45);
  }
  .dialog {
    width: min(520px, calc(100% - 24px));
    max-height: calc(100% - 24px);
    overflow: auto;
    padding: 16px;
    background: var(--ll-panel);
    color: var(--ll-fg);
    border: 1px solid var(--ll-border);
    border-radius: 8px;
  }
  .dialog h2 {
    margin: 0 0 12px;
    font-size: 16px;
  }
  .dialog dl {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 6px 16px;
    margin: 0 0 12px;
  }
  .dialog dt {
    font-family: var(--ll-font);
  }
  .dialog dd {
    margin: 0;
  }
  kbd {
    border: 1px solid var(--ll-border);
    border-bottom-width: 2px;
    border-radius: 4px;
    padding: 0 4px;
    font-family: var(--ll-font);
    font-size: 12px;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;
