import { isLevelName, type LevelName, levelFromNumber } from '@livelog/protocol';

/**
 * Level words seen in the wild (pino, winston, bunyan, log4j, syslog, Python, Go) and the level each
 * stands for. Keys are lower case.
 */
const LEVEL_ALIASES: ReadonlyMap<string, LevelName> = new Map([
  ['trace', 'trace'],
  ['silly', 'trace'],
  ['finest', 'trace'],
  ['debug', 'debug'],
  ['dbg', 'debug'],
  ['verbose', 'debug'],
  ['fine', 'debug'],
  ['info', 'info'],
  ['inf', 'info'],
  ['information', 'info'],
  ['informational', 'info'],
  ['notice', 'info'],
  ['http', 'info'],
  ['log', 'info'],
  ['warn', 'warn'],
  ['warning', 'warn'],
  ['wrn', 'warn'],
  ['error', 'error'],
  ['err', 'error'],
  ['eror', 'error'],
  ['severe', 'error'],
  ['fatal', 'fatal'],
  ['crit', 'fatal'],
  ['critical', 'fatal'],
  ['panic', 'fatal'],
  ['alert', 'fatal'],
  ['emerg', 'fatal'],
  ['emergency', 'fatal'],
]);

/** Highest pino-style number accepted as a level. */
const MAX_LEVEL_NUMBER = 1000;

/** The level a word or pino number stands for, or undefined when it stands for none. */
export function parseLevelValue(value: unknown): LevelName | undefined {
  // The common case first: one of the six names, exactly.
  if (typeof value === 'string' && isLevelName(value)) return value;
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 && value <= MAX_LEVEL_NUMBER ? levelFromNumber(value) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  if (/^[0-9]{1,4}$/.test(word)) return parseLevelValue(Number(word));
  return LEVEL_ALIASES.get(word);
}
