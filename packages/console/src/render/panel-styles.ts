import { css } from 'lit';

/**
 * Styles of what `<livelog-console>` shows besides lines: the empty-state panel, a multi-line
 * entry's affordance and expanded message, the room the pill keeps, and the narrow (phone) layout.
 * The narrow layout follows the element's own width (a container query), not the page's: a console
 * in a sidebar is as narrow as one on a phone.
 */
export const panelStyles = css`
  .frame {
    container-type: inline-size;
  }
  .toolbar {
    position: relative;
  }
  .more-controls {
    display: contents;
  }
  .controls-toggle {
    display: none;
  }
  .filter-error {
    flex: 1 1 100%;
    order: 1;
    font-size: 12px;
    color: var(--ll-danger);
  }
  .more {
    margin-left: 1ch;
    padding: 0 6px;
    border: 1px solid var(--ll-border);
    border-radius: 999px;
    color: var(--ll-muted);
    font-family: var(--ll-ui-font);
    font-size: 11px;
    cursor: pointer;
  }
  .full-msg {
    white-space: pre-wrap;
    tab-size: 4;
    font-family: var(--ll-font);
    margin-bottom: 6px;
  }
  /* Room under the last row for the pill, so it never covers it. */
  .viewport.pill-space {
    padding-bottom: 64px;
    scroll-padding-bottom: 64px;
  }
  .empty {
    margin: 12px;
    padding: 12px 14px;
    max-width: 720px;
    border: 1px solid var(--ll-border);
    border-radius: 8px;
    background: var(--ll-panel);
    font-family: var(--ll-ui-font);
    font-size: 13px;
    line-height: 1.6;
    white-space: normal;
  }
  .empty button {
    min-height: 24px;
    margin: 0 4px;
  }
  .cmd {
    display: flex;
    gap: 6px;
    align-items: center;
    margin: 6px 0;
  }
  .cmd code {
    flex: 1 1 auto;
    min-width: 0;
    padding: 4px 8px;
    border-radius: 4px;
    background: var(--ll-bg);
    font-family: var(--ll-font);
    font-size: 12px;
    /* Wrapped, not scrolled: a scrolling box would need a tab stop of its own. */
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .cmd input {
    flex: 1 1 auto;
    min-width: 0;
    padding: 4px 8px;
    border: 1px solid var(--ll-border);
    border-radius: 4px;
    background: var(--ll-bg);
    color: inherit;
    font: inherit;
  }
  @container (max-width: 480px) {
    .toolbar {
      gap: 4px;
      padding: 4px;
    }
    .controls-toggle {
      display: inline-flex;
    }
    .more-controls {
      display: none;
    }
    .toolbar.open .more-controls {
      display: flex;
      flex-wrap: wrap;
      gap: 4px;
      flex: 1 1 100%;
      order: 2;
    }
    .highlight {
      flex: 1 1 100%;
    }
    /* Menus open across the toolbar, under it, rather than from their button's right edge off screen. */
    details.menu {
      position: static;
    }
    .menu-body {
      left: 4px;
      right: 4px;
      top: 100%;
      min-width: 0;
    }
    .menu-body label {
      white-space: normal;
    }
  }
`;
