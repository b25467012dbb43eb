/**
 * The token entered in a console's prompt for the server at `src`, in this tab's `sessionStorage`
 * (this tab, this server: a reload does not ask again, a new tab does). Keyed by absolute URL, as a
 * relative `src` such as `.` names another server under each base path. Undefined for a `src` that
 * does not parse.
 */
export function enteredToken(src: string): { get(): string | undefined; set(token: string): void } | undefined {
  let key: string;
  try {
    key = `livelog-console:token:${new URL(src, location.href).href}`;
  } catch {
    return undefined;
  }
  // Storage can be refused (a sandboxed frame): the prompt still works for this connection.
  return {
    get: () => {
      try {
        return sessionStorage.getItem(key) ?? undefined;
      } catch {
        return undefined;
      }
    },
    set: (token) => {
      try {
        sessionStorage.setItem(key, token);
      } catch {}
    },
  };
}
