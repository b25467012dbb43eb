/** Waits for `promise`, or until `deadline` (Date.now() ms) passes; an undefined deadline waits for as long as it takes. */
export async function waitUntil(promise: Promise<unknown>, deadline: number | undefined): Promise<void> {
  if (deadline === undefined) {
    await promise;
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))))]);
  clearTimeout(timer);
}

/** How long `waitWhileProgressing` keeps waiting. */
export interface ProgressWait {
  /** Give up once nothing progressed for this many ms. */
  idleMs: number;
  /** When the wait started: no progress before it counts. */
  since: number;
  /** Give up at this time (Date.now() ms) however things progress; undefined for none. */
  deadline: number | undefined;
  /** When something last progressed (Date.now() ms). */
  lastProgress: () => number;
}

/**
 * Waits for `promise` for as long as things keep progressing: gives up once `lastProgress()` is
 * `idleMs` old (a stalled peer) or at `deadline`, but never while a slow peer keeps making progress.
 */
export async function waitWhileProgressing(promise: Promise<unknown>, wait: ProgressWait): Promise<void> {
  let done = false;
  void promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  while (!done) {
    const idleDeadline = Math.max(wait.since, wait.lastProgress()) + wait.idleMs;
    const next = wait.deadline === undefined ? idleDeadline : Math.min(wait.deadline, idleDeadline);
    if (Date.now() >= next) return;
    await waitUntil(promise, next);
  }
}
