/** Parsers for human-written config values: durations (`15s`, `7d`) and sizes (`512MB`, `1GiB`). */

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/**
 * Milliseconds from `500ms`, `15s`, `10m`, `2h`, `7d`, `1w`, combinations like `1h30m`, or a bare
 * number of ms. Undefined for anything else.
 */
export function parseDuration(text: string): number | undefined {
  const value = text.trim().toLowerCase();
  if (/^\d+$/.test(value)) return Number(value);
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(value)) return undefined;
  let total = 0;
  for (const match of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) {
    total += Number(match[1]) * (DURATION_UNITS[match[2] as string] as number);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/** Bytes from `512`, `64KB`, `512MB`, `1GiB`, `2g` (binary units throughout). Undefined otherwise. */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  if (match === null) return undefined;
  const unit = SIZE_UNITS[(match[2] ?? '').toLowerCase() || 'b'];
  if (unit === undefined) return undefined;
  const bytes = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Words that turn a retention limit off. */
export function isUnlimited(text: string): boolean {
  return ['unlimited', 'none', 'off', 'no', 'false', 'infinite', 'inf'].includes(text.trim().toLowerCase());
}
