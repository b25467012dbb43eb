import type { AppendListener, StoredEntry } from './log-store.js';

/** The listener list every store keeps; a throwing listener cannot stop the others. */
export class AppendListeners {
  readonly #listeners = new Set<AppendListener>();

  add(listener: AppendListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(entries: readonly StoredEntry[]): void {
    if (entries.length === 0) return;
    for (const listener of this.#listeners) {
      try {
        listener(entries);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
