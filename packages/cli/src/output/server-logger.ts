import type { CreateServerOptions } from '@livelog/server';

type ServerLogger = NonNullable<CreateServerOptions['logger']>;

/** `--log-format` values: `auto` is `pretty` on a terminal, `json` otherwise. */
export type LogFormat = 'json' | 'pretty';

/** The format `--log-format` (or LIVELOG_LOG_FORMAT) asks for; undefined for a value that is none. */
export function resolveLogFormat(flag: string | undefined, isTTY: boolean): LogFormat | undefined {
  const value = (flag ?? 'auto').trim().toLowerCase();
  if (value === 'auto') return isTTY ? 'pretty' : 'json';
  return value === 'json' || value === 'pretty' ? value : undefined;
}

/**
 * A pino logger that writes human lines (pino-pretty: time, level, message, then the details) to
 * stdout, for a person at a terminal; collectors get the default JSON instead. Loaded only when
 * asked for, so `json` costs nothing.
 */
export async function createPrettyLogger(level: string, color: boolean): Promise<ServerLogger> {
  const [{ pino }, { PinoPretty }] = await Promise.all([import('pino'), import('pino-pretty')]);
  const stream = PinoPretty({ colorize: color, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l', sync: true });
  return pino({ level }, stream) as unknown as ServerLogger;
}
