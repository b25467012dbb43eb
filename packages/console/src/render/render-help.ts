import { html, type TemplateResult } from 'lit';

/** Every keyboard shortcut, as the help overlay lists them. */
export const SHORTCUTS: readonly [keys: string[], what: string][] = [
  [['/', 'Ctrl K'], 'Search (filter lines)'],
  [['Space'], 'Pause or follow'],
  [['g'], 'Top (loads older lines)'],
  [['G'], 'Live: jump to the newest line and follow'],
  [['e', 'E'], 'Next / previous error'],
  [['w'], 'Wrap long lines'],
  [['u'], 'UTC / local time'],
  [['t'], 'Light / dark theme'],
  [['f'], 'Fullscreen'],
  [['Esc'], 'Close, clear selection, leave search'],
  [['?'], 'This help'],
];

/** A modal dialog keeps Tab inside; its only control is the Close button. */
function keepFocusInside(event: KeyboardEvent): void {
  if (event.key !== 'Tab') return;
  event.preventDefault();
  (event.currentTarget as HTMLElement).querySelector<HTMLElement>('#help-close')?.focus();
}

/** The `?` overlay. */
export function renderHelp(onClose: () => void): TemplateResult {
  return html`<div class="overlay" @click=${(event: Event) => event.target === event.currentTarget && onClose()}>
    <div class="dialog" part="help" role="dialog" aria-modal="true" aria-labelledby="help-title" @keydown=${keepFocusInside}>
      <h2 id="help-title">Keyboard shortcuts</h2>
      <dl>
        ${SHORTCUTS.map(
          ([keys, what]) => html`<dt>${keys.map((key, i) => html`${i > 0 ? ' ' : ''}<kbd>${key}</kbd>`)}</dt><dd>${what}</dd>`,
        )}
      </dl>
      <p>Click a line to expand it: copy it, its link or its JSON.</p>
      <button type="button" id="help-close" @click=${onClose}>Close</button>
    </div>
  </div>`;
}

/**
 * Whether the help is open, and where focus was before it opened: a modal dialog takes focus when it
 * opens and gives it back when it closes.
 */
export class HelpDialog {
  open = false;
  #focusBefore: HTMLElement | null = null;

  /** Opens the dialog and focuses its Close button once `rendered` settles. */
  show(root: ShadowRoot | HTMLElement, rendered: Promise<unknown>): void {
    this.open = true;
    this.#focusBefore = root instanceof ShadowRoot ? (root.activeElement as HTMLElement | null) : null;
    void rendered.then(() => root.querySelector<HTMLElement>('#help-close')?.focus());
  }

  /** Closes the dialog and focuses what had focus before (or `fallback`) once `rendered` settles. */
  close(rendered: Promise<unknown>, fallback: () => HTMLElement | null): void {
    this.open = false;
    const previous = this.#focusBefore;
    this.#focusBefore = null;
    void rendered.then(() => (previous?.isConnected ? previous : fallback())?.focus());
  }
}
