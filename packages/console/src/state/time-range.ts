import { parseDuration, parseTimePoint } from '@livelog/protocol';

/**
 * The time range a console shows, as the server takes it (`since`, `until`): ISO 8601, epoch ms, or
 * relative (`15m` = that long before now). No `until` is "until now": the view keeps following.
 */
export interface TimeRange {
  since?: string;
  until?: string;
}

export const ALL_TIME: TimeRange = {};

/** The picker's quick choices. */
export const RANGE_PRESETS: readonly { since: string; label: string }[] = [
  { since: '15m', label: 'Last 15 minutes' },
  { since: '1h', label: 'Last hour' },
  { since: '24h', label: 'Last 24 hours' },
  { since: '7d', label: 'Last 7 days' },
];

/**
 * A relative duration (`15m`, `1h30m`, `1.5h`) in ms, or undefined when `text` is not one: the
 * protocol's parseDuration, the grammar the server reads `since` with, except that bare digits are
 * an instant (epoch ms) in a range, never a duration.
 */
export function relativeMs(text: string): number | undefined {
  return /^\s*\d+\s*$/.test(text) ? undefined : parseDuration(text);
}

/**
 * The epoch ms a range bound names (relative ones from `now`), or undefined when it is none the
 * server takes: the protocol's parseTimePoint, so the picker and the server read a bound alike.
 */
export function resolveTime(text: string | undefined, now = Date.now()): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  return parseTimePoint(text, now);
}

/** True when the range ends before now, so no new line can join it. */
export function isBounded(range: TimeRange): boolean {
  return range.until !== undefined && range.until !== '';
}

/** The same range? */
export function sameRange(a: TimeRange, b: TimeRange): boolean {
  return (a.since ?? '') === (b.since ?? '') && (a.until ?? '') === (b.until ?? '');
}

/** An absolute range between two instants, as ISO strings (what a brush or the custom picker sets). */
export function absoluteRange(from: number, to: number): TimeRange {
  const [since, until] = from <= to ? [from, to] : [to, from];
  // At least a millisecond wide: the server refuses a range whose until does not come after its since.
  return { since: new Date(since).toISOString(), until: new Date(Math.max(until, Math.floor(since) + 1)).toISOString() };
}

/** The picker's words for a range. */
export function rangeLabel(range: TimeRange, utc: boolean): string {
  if (!range.since && !range.until) return 'All time';
  const preset = RANGE_PRESETS.find((choice) => choice.since === range.since && !range.until);
  if (preset) return preset.label;
  if (range.since && relativeMs(range.since) !== undefined && !range.until) return `Last ${range.since}`;
  const show = (text: string | undefined): string => {
    const time = resolveTime(text);
    return time === undefined ? (text ?? '') : shortTime(time, utc);
  };
  return `${range.since ? show(range.since) : 'start'} → ${range.until ? show(range.until) : 'now'}`;
}

/** `2026-12-06 14:02:11` in local time or UTC (`…Z`). */
export function shortTime(time: number, utc: boolean): string {
  const date = new Date(time);
  if (utc) return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** The value of a `datetime-local` input for `time` (local time, to the second). */
export function toLocalInput(time: number | undefined): string {
  if (time === undefined) return '';
  return shortTime(time, false).replace(' ', 'T');
}

/** A `datetime-local` input's value as an ISO instant, or undefined when empty or invalid. */
export function fromLocalInput(value: string): string | undefined {
  if (value === '') return undefined;
  const time = new Date(value).getTime();
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}
