import type { StreamInfo } from '@livelog/client';

/**
 * Whether `stream` matches what was typed into the picker's search box. Every whitespace-separated
 * term must match (case-insensitive): a part of the name, or of a label written `key=value` (so
 * `env=prod`, `prod` and `service=` all find a stream labelled `{env: "prod", service: "api"}`);
 * `key:value` is read as `key=value`, as the list API writes label filters.
 */
export function matchesStreamQuery(stream: StreamInfo, query: string): boolean {
  const terms = query
    .toLowerCase()
    .split(/\s+/)
    .filter((term) => term !== '');
  if (terms.length === 0) return true;
  const name = stream.name.toLowerCase();
  const labels = Object.entries(stream.labels).map(([key, value]) => `${key}=${value}`.toLowerCase());
  return terms.every((term) => {
    const asLabel = term.replace(/^([^=:]+):/, '$1=');
    return name.includes(term) || labels.some((label) => label.includes(asLabel));
  });
}

/** Newest activity first (last entry, else creation), then by name: the order the picker lists. */
export function byRecentActivity(a: StreamInfo, b: StreamInfo): number {
  const activity = (stream: StreamInfo): number => Math.max(stream.lastTime ?? 0, stream.end?.time ?? 0, stream.created);
  return activity(b) - activity(a) || a.name.localeCompare(b.name);
}

/** `open`, `ended · exit 0`, `ended · signal SIGTERM`: a stream's state in the picker's words. */
export function streamStateText(stream: StreamInfo): string {
  if (stream.state !== 'ended') return 'open';
  const end = stream.end;
  if (end?.exitCode !== undefined) return `ended · exit ${end.exitCode}`;
  return end?.reason ? `ended · ${end.reason.length > 40 ? `${end.reason.slice(0, 39)}…` : end.reason}` : 'ended';
}

/** How long ago `time` was, briefly: `12 s ago`, `5 min ago`, `3 h ago`, `2 d ago`. */
export function timeAgo(time: number | undefined, now: number): string {
  if (time === undefined) return 'no lines yet';
  const seconds = Math.max(0, Math.round((now - time) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

/** The page URL showing `stream` (`?stream=NAME`, other parameters kept, any permalink hash dropped). */
export function streamPageUrl(href: string, stream: string | undefined): string {
  const url = new URL(href);
  if (stream === undefined || stream === 'default') url.searchParams.delete('stream');
  else url.searchParams.set('stream', stream);
  // A permalink names a line of the stream being left.
  url.hash = '';
  return url.href;
}
