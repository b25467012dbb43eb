/** Where a stream keeps its cursor across page reloads. */
export interface PersistOptions {
  /** Storage key. Defaults to `livelog:cursor:` + the stream URL with its filters. */
  key?: string;
  /**
   * A Web Storage. Defaults to `sessionStorage`: per tab, so a reload resumes and a new tab starts
   * fresh. Pass `localStorage` to resume across tabs and browser restarts.
   */
  storage?: Pick<Storage, 'getItem' | 'setItem'>;
}

/** Reads and writes one cursor. Never throws: a refused read loads nothing, a refused write is dropped. */
export interface CursorStorage {
  /** The stored id, if any. */
  load(): string | undefined;
  /** Stores `lastEventId` (a write of the value already stored is skipped). */
  save(lastEventId: string): void;
}

/**
 * A cursor kept under `key` in a Web Storage (`sessionStorage` unless `storage` says otherwise), for
 * readers that choose themselves when to resume from it (`persist` resumes every stream it opens).
 * Undefined where no storage exists: Node, sandboxed frames, some privacy modes.
 * @example
 * const cursor = createCursorStorage({ key: `my-app:cursor:${url}` });
 * const stream = openStream({ url, start: { lastEventId: cursor?.load() } });
 * stream.on('cursor', (id) => cursor?.save(id));
 */
export function createCursorStorage(options: PersistOptions & { key: string }): CursorStorage | undefined {
  const storage = options.storage ?? sessionStorageOrUndefined();
  if (storage === undefined) return undefined;
  const key = options.key;
  let saved: string | undefined;
  return {
    load() {
      try {
        const value = storage.getItem(key);
        saved = value ?? undefined;
        return value === null || value === '' ? undefined : value;
      } catch {
        return undefined;
      }
    },
    save(lastEventId) {
      if (lastEventId === saved) return;
      saved = lastEventId;
      try {
        storage.setItem(key, lastEventId);
      } catch {
        // Quota or privacy mode: resuming after a reload is a convenience, streaming goes on.
      }
    },
  };
}

/** The cursor storage the `persist` option of a stream asks for, or undefined when it is off or impossible. */
export function persistedCursor(option: boolean | PersistOptions | undefined, streamKey: string): CursorStorage | undefined {
  if (option === undefined || option === false) return undefined;
  const options = option === true ? {} : option;
  return createCursorStorage({ ...options, key: options.key ?? `livelog:cursor:${streamKey}` });
}

function sessionStorageOrUndefined(): Pick<Storage, 'getItem' | 'setItem'> | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    // Accessing sessionStorage throws in sandboxed frames.
    return undefined;
  }
}
