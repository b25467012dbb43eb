/**
 * A set of listeners of one kind of value; a throwing listener cannot stop the others (its error
 * is rethrown on a microtask, so it still surfaces as an uncaught error). A listener added or
 * removed while the value is being told takes effect from the next one.
 */
export class ListenerSet<T> {
  readonly #listeners = new Set<(value: T) => void>();

  /** Adds `listener`; returns a function that removes it. */
  add(listener: (value: T) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get size(): number {
    return this.#listeners.size;
  }

  emit(value: T): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(value);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
