/** A listener; a returned promise holds back the reading of more data until it settles. */
export type Listener<T> = (payload: T) => void | PromiseLike<void>;

/**
 * A minimal typed event emitter that works in browsers and Node alike. `emit` collects the promises
 * listeners return, so the reader can wait for slow consumers instead of buffering for them. A
 * listener that throws does not stop the others; the error is rethrown asynchronously.
 */
export class TypedEmitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.#listeners.get(event)?.delete(listener as Listener<never>);
  }

  /** True when `event` has a listener. */
  has(event: keyof Events): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  /** Calls every listener of `event`; pushes the promises they return onto `pending`. */
  emit<K extends keyof Events>(event: K, payload: Events[K], pending?: PromiseLike<void>[]): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set] as Listener<Events[K]>[]) {
      try {
        const result = listener(payload);
        if (result !== undefined && typeof (result as PromiseLike<void>).then === 'function') {
          const promise = Promise.resolve(result).catch(rethrowLater);
          pending?.push(promise);
        }
      } catch (error) {
        rethrowLater(error);
      }
    }
  }

  removeAll(): void {
    this.#listeners.clear();
  }
}

function rethrowLater(error: unknown): void {
  // A listener's bug must surface (uncaught) without breaking delivery to the other listeners.
  setTimeout(() => {
    throw error;
  }, 0);
}
