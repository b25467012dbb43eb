const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

/**
 * Milliseconds from a duration: `250ms`, `90s`, `10m`, `2h`, `7d`, `1w`, fractions (`1.5h`),
 * combinations (`1h30m`, `2d12h`), in any case, or a bare whole number of ms (`500`). Undefined for
 * anything else. The one grammar of every duration livelog reads: `livelog serve` flags, the
 * stream's `?since=10m`, `livelog tail --since/--until`, client-command timeouts.
 */
export function parseDuration(text: string): number | undefined {
  const value = text.trim().toLowerCase();
  if (/^\d+$/.test(value)) return Number.isSafeInteger(Number(value)) ? Number(value) : undefined;
  if (!DURATION.test(value)) return undefined;
  let total = 0;
  for (const match of value.matchAll(PART)) total += Number(match[1]) * (UNITS[match[2] as string] as number);
  const ms = Math.round(total);
  return Number.isSafeInteger(ms) ? ms : undefined;
}
