/**
 * Log levels, named and numbered as pino does so that pino records map without translation.
 * @see https://getpino.io/#/docs/api?id=logger-level
 */
export const LEVELS = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
} as const;

/** One of the six level names. */
export type LevelName = keyof typeof LEVELS;

/** Level names from the least to the most severe. */
export const LEVEL_NAMES: readonly LevelName[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** True when `value` is one of the six level names (exact, lower case). */
export function isLevelName(value: unknown): value is LevelName {
  return typeof value === 'string' && Object.hasOwn(LEVELS, value);
}

/** The pino number of a level name. */
export function levelNumber(level: LevelName): number {
  return LEVELS[level];
}

/**
 * The level a pino number stands for. Numbers between the standard ones (custom pino levels) fall to
 * the nearest standard level below, and anything under 10 counts as trace.
 */
export function levelFromNumber(value: number): LevelName {
  let found: LevelName = 'trace';
  for (const name of LEVEL_NAMES) {
    if (value >= LEVELS[name]) found = name;
  }
  return found;
}
