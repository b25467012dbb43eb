import { type ChildPart, noChange } from 'lit';
import { Directive, type DirectiveParameters, type DirectiveResult, directive, type PartInfo, PartType } from 'lit/directive.js';
import { clearPart, insertPart, removePart, setChildPartValue, setCommittedValue } from 'lit/directive-helpers.js';

type Key = string | number;

/**
 * Renders a list keyed by `key`, like Lit's `repeat`: an item that stays in the list keeps its DOM,
 * so a virtual list scrolled by a few rows creates only the rows coming into view and leaves the
 * others alone.
 *
 * Not `repeat` itself: in lit-html 3.3 its removal of an item leaves the item's end marker comment in
 * the DOM (lit/lit#5298). A virtual list removes rows on every frame of scrolling, so the comments
 * piled up by thousands in the list's container and every walk of its children slowed down with
 * them. This removes both markers; were Lit's removal fixed, removing a marker twice does nothing.
 */
class KeyedRowsDirective<T> extends Directive {
  #parts = new Map<Key, ChildPart>();
  /** Keys in DOM order. */
  #keys: Key[] = [];
  #started = false;

  constructor(partInfo: PartInfo) {
    super(partInfo);
    if (partInfo.type !== PartType.CHILD) throw new Error('keyedRows() can only be used in child expressions');
  }

  render(items: readonly T[], _key: (item: T) => Key, template: (item: T) => unknown): unknown[] {
    return items.map(template);
  }

  override update(container: ChildPart, [items, key, template]: DirectiveParameters<this>): unknown {
    if (!this.#started) {
      // Whatever the part showed before is not made of parts this directive knows.
      clearPart(container);
      this.#started = true;
    }
    const keys = items.map(key);
    const wanted = new Set(keys);
    const old = this.#parts;
    for (const [oldKey, part] of old) {
      if (wanted.has(oldKey)) continue;
      const end = part.endNode;
      removePart(part);
      end?.parentNode?.removeChild(end);
      old.delete(oldKey);
    }
    // Old parts still wanted, in DOM order: each new item goes right before the next one not placed yet.
    const survivors = this.#keys.filter((oldKey) => old.has(oldKey));
    const placed = new Set<Key>();
    const parts = new Map<Key, ChildPart>();
    let next = 0;
    items.forEach((item, index) => {
      const itemKey = keys[index] as Key;
      if (parts.has(itemKey)) return;
      while (next < survivors.length && placed.has(survivors[next] as Key)) next++;
      const before = next < survivors.length ? old.get(survivors[next] as Key) : undefined;
      let part = old.get(itemKey);
      if (part === undefined) part = insertPart(container, before);
      else if (survivors[next] === itemKey) next++;
      else insertPart(container, before, part);
      placed.add(itemKey);
      parts.set(itemKey, part);
      setChildPartValue(part, template(item));
    });
    this.#parts = parts;
    this.#keys = keys;
    // Lit clears the container itself if something else is rendered there later.
    setCommittedValue(container, [...parts.values()]);
    return noChange;
  }
}

/** `keyedRows(items, key, template)`: `items` rendered by `template`, each keeping its DOM while its key stays. */
export type KeyedRowsFunction = <T>(
  items: readonly T[],
  key: (item: T) => Key,
  template: (item: T) => unknown,
) => DirectiveResult<typeof KeyedRowsDirective>;

/** Renders `items` keyed by `key` (unique; a repeated key shows once). See KeyedRowsDirective. */
export const keyedRows = directive(KeyedRowsDirective) as KeyedRowsFunction;
