import type { FastifyBaseLogger } from 'fastify';

/** How often one kind of refusal is logged at most. */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;

/**
 * Logs refusals that are the server protecting itself (too many readers, ingest busy, shutting down):
 * at warn, without a stack, and at most once per interval and code, counting the refusals in between.
 * Under overload such refusals come by the thousand; an error line with a stack for each would bury
 * the log and cost the CPU the server was short of.
 */
export class RefusalLog {
  readonly #log: FastifyBaseLogger;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #last = new Map<string, { at: number; unlogged: number }>();

  constructor(log: FastifyBaseLogger, options: { intervalMs?: number; now?: () => number } = {}) {
    this.#log = log;
    this.#intervalMs = options.intervalMs ?? REFUSAL_LOG_INTERVAL_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Notes one refusal of `code`; logs it when the last line for that code is older than the interval. */
  refused(code: string, message: string): void {
    const now = this.#now();
    const last = this.#last.get(code);
    if (last !== undefined && now - last.at < this.#intervalMs) {
      last.unlogged++;
      return;
    }
    const refused = (last?.unlogged ?? 0) + 1;
    this.#last.set(code, { at: now, unlogged: 0 });
    this.#log.warn({ code, refused }, `${message} (${refused} refused since the last such line)`);
  }
}
