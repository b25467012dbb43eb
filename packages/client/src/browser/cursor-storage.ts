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

/** Reads and writes one stream's cursor; a no-op where no storage exists (Node, private modes). */
export interface CursorStorage {
  load(): string | undefined;
  save(lastEventId: string): void;
}

/** The cursor storage `option` asks for, or undefined when persistence is off or impossible. */
export function createCursorStorage(option: boolean | PersistOptions | undefined, streamKey: string): CursorStorage | undefined {
  if (option === undefined || option === false) return undefined;
  const options = option === true ? {} : option;
  const storage = options.storage ?? sessionStorageOrUndefined();
  if (storage === undefined) return undefined;
  const key = options.key ?? `livelog:cursor:${streamKey}`;
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

function sessionStorageOrUndefined(): Pick<Storage, 'getItem' | 'setItem'> | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    // Accessing sessionStorage throws in sandboxed frames.
    return undefined;
  }
}
