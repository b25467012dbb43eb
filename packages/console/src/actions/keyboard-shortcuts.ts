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

/** True when `target` takes text input, so plain keys belong to it. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLInputElement) return !['checkbox', 'radio', 'button', 'submit', 'range', 'color'].includes(target.type);
  return target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}
