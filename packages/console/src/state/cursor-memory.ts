/** Where a console keeps the position it may resume from after a page reload. */
export interface CursorMemory {
  /** The stored id, if any. */
  load(): string | undefined;
  save(lastEventId: string): void;
}

/**
 * A cursor kept in `sessionStorage` under the server's absolute URL: per tab, so a reload resumes
 * where the page was and a new tab starts at the tail, as with the client's own `persist` option.
 * A no-op where storage is missing or refused (sandboxed frames, privacy modes): resuming after a
 * reload is a convenience, streaming goes on without it.
 */
export function sessionCursorMemory(src: string): CursorMemory {
  let storage: Storage | undefined;
  let key = '';
  try {
    storage = sessionStorage;
    key = `livelog-console:cursor:${new URL(src, location.href).href}`;
  } catch {
    storage = undefined;
  }
  let saved: string | undefined;
  return {
    load() {
      try {
        const value = storage?.getItem(key) ?? null;
        saved = value ?? undefined;
        return value === null || value === '' ? undefined : value;
      } catch {
        return undefined;
      }
    },
    save(lastEventId) {
      if (storage === undefined || lastEventId === saved) return;
      saved = lastEventId;
      try {
        storage.setItem(key, lastEventId);
      } catch {
        // Quota exceeded: the next reload shows the tail instead of resuming.
      }
    },
  };
}
