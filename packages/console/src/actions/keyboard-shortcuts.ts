/** What a key press asks the console to do. */
export type Shortcut =
  | 'search'
  | 'toggle-follow'
  | 'top'
  | 'live'
  | 'next-error'
  | 'previous-error'
  | 'wrap'
  | 'utc'
  | 'theme'
  | 'fullscreen'
  | 'escape'
  | 'help';

const PLAIN: Record<string, Shortcut> = {
  '/': 'search',
  ' ': 'toggle-follow',
  g: 'top',
  G: 'live',
  End: 'live',
  e: 'next-error',
  E: 'previous-error',
  w: 'wrap',
  u: 'utc',
  t: 'theme',
  f: 'fullscreen',
  '?': 'help',
};

/**
 * The shortcut a key press stands for. While the user types in a field only Esc and Ctrl/⌘-K count,
 * so typing `e` or a space into the search box never jumps or pauses.
 */
export function shortcutFor(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>, typing: boolean): Shortcut | undefined {
  if (event.key === 'Escape') return 'escape';
  if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'k') return 'search';
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return undefined;
  return PLAIN[event.key];
}

/** Keys that scroll a focused scroll container natively and are not one of the console's shortcuts. */
const SCROLL_KEYS = new Set(['ArrowUp', 'ArrowDown', 'PageUp', 'PageDown', 'Home']);

/**
 * True when a key press on the viewport moves it as the reader's scroll. Not every key: Space pauses
 * (its scroll is prevented), and counted as a scroll it made the list's own late scroll at the end
 * read as the reader's return there, which resumed following right after Space paused it.
 */
export function keyScrollsView(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>): boolean {
  return SCROLL_KEYS.has(event.key) && !event.ctrlKey && !event.metaKey && !event.altKey;
}

/** True when `target` takes text input, so plain keys belong to it. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLInputElement) return !['checkbox', 'radio', 'button', 'submit', 'range', 'color'].includes(target.type);
  return target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

/** What the console's state says about keys that only sometimes mean something. */
export interface KeyContext {
  helpOpen: boolean;
  /** A line is selected (Esc clears it). */
  selected: boolean;
}

/**
 * The command a keydown on the console (or on the page, with `global-shortcuts`) asks for, with its
 * default prevented; undefined when the key belongs to something else. Escape in an open menu closes
 * that menu here and gives focus back to its button, as any disclosure does.
 */
export function commandForKey(event: KeyboardEvent, context: KeyContext): Shortcut | undefined {
  if (event.defaultPrevented) return undefined;
  const path = event.composedPath();
  const menu = path.find((node): node is HTMLDetailsElement => node instanceof HTMLDetailsElement && node.open);
  if (event.key === 'Escape' && menu !== undefined) {
    event.preventDefault();
    menu.open = false;
    menu.querySelector('summary')?.focus();
    return undefined;
  }
  const target = path[0] ?? null;
  // Space belongs to the control it lands on (a button, a checkbox) before it means pause.
  if (event.key === ' ' && target instanceof HTMLElement && target.closest('button, summary, a, select, input, label')) return undefined;
  const typing = isTypingTarget(target);
  const shortcut = shortcutFor(event, typing);
  // A bare Esc with nothing to close or clear stays with the page (it may close the page's own dialog).
  if (shortcut === undefined || (shortcut === 'escape' && !context.helpOpen && !context.selected && !typing)) return undefined;
  event.preventDefault();
  return shortcut;
}
