/** Browser events that should cut a reconnect wait short. */
export interface WakeTriggerOptions {
  /** Called when the browser reports it is online again. */
  onOnline(): void;
  /** Called when the page becomes visible after being hidden at least `hiddenMs`. */
  onVisibleAfterHidden(): void;
  hiddenMs: number;
}

/**
 * Listens for `online` and `visibilitychange` where they exist (browsers; nothing happens in Node).
 * Returns a function that stops listening.
 */
export function watchWakeTriggers(options: WakeTriggerOptions): () => void {
  const stops: (() => void)[] = [];
  const target = globalThis as unknown as Partial<Pick<Window, 'addEventListener' | 'removeEventListener'>>;
  if (typeof target.addEventListener === 'function' && typeof target.removeEventListener === 'function') {
    const onOnline = (): void => options.onOnline();
    target.addEventListener('online', onOnline);
    stops.push(() => target.removeEventListener?.('online', onOnline));
  }
  if (typeof document !== 'undefined' && typeof document.addEventListener === 'function') {
    let hiddenAt = document.visibilityState === 'hidden' ? Date.now() : undefined;
    const onVisibility = (): void => {
      if (document.visibilityState === 'hidden') {
        hiddenAt ??= Date.now();
        return;
      }
      const since = hiddenAt;
      hiddenAt = undefined;
      // Background tabs get their timers throttled to once a minute and their sockets may have died
      // silently; after a long absence, resuming by cursor is cheaper than trusting the connection.
      if (since !== undefined && Date.now() - since >= options.hiddenMs) options.onVisibleAfterHidden();
    };
    document.addEventListener('visibilitychange', onVisibility);
    stops.push(() => document.removeEventListener('visibilitychange', onVisibility));
  }
  return () => {
    for (const stop of stops) stop();
  };
}
