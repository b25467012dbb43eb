import type { StreamChange, StreamChangeListener } from './log-database.js';

/** The stream-change listeners of a database; a throwing listener cannot stop the others. */
export class StreamChanges {
  readonly #listeners = new Set<StreamChangeListener>();

  add(listener: StreamChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(change: StreamChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
