import { isLivelogClientError, listStreams, type StreamInfo } from '@livelog/client';
import { terminalJson, terminalText } from '../output/terminal-text.js';
import type { StreamsFlags } from './streams.js';

/** `livelog streams` once its flags are parsed; streams.ts registers the command and imports this module only to run it. */
export async function runStreams(url: string, flags: StreamsFlags): Promise<number> {
  const fail = (message: string, code: number): number => {
    process.stderr.write(`livelog streams: ${message}\n`);
    return code;
  };
  const labels: Record<string, string> = {};
  for (const pair of flags.label) {
    const at = pair.indexOf('=');
    if (at <= 0) return fail(`--label must be key=value, got ${JSON.stringify(pair)}`, 2);
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const limit = flags.limit === undefined ? Number.POSITIVE_INFINITY : Number(flags.limit);
  if (!(limit > 0) || (Number.isFinite(limit) && !Number.isInteger(limit))) return fail('--limit must be a positive whole number', 2);
  if (!/^https?:\/\//i.test(url)) return fail(`${JSON.stringify(url)} is not an http:// or https:// URL`, 2);
  const streams: StreamInfo[] = [];
  const places = new Map<string, number>();
  try {
    let after: string | undefined;
    do {
      const page = await listStreams(
        url,
        {
          order: flags.order,
          limit: Math.min(1000, limit - streams.length),
          ...(flags.prefix ? { prefix: flags.prefix } : {}),
          ...(Object.keys(labels).length > 0 ? { labels } : {}),
          ...(after === undefined ? {} : { after }),
        },
        flags.token ? { token: flags.token } : {},
      );
      addPage(streams, page.streams, places);
      after = page.next;
    } while (after !== undefined && streams.length < limit);
  } catch (error) {
    const hint =
      isLivelogClientError(error) && (error.status === 401 || error.status === 403) ? ' (pass a token with the read scope: --token)' : '';
    return fail(`cannot list the streams of ${url}: ${(error as Error).message}${hint}`, 1);
  }
  process.stdout.write(flags.output === 'json' ? terminalJson(`${JSON.stringify(streams, null, 2)}\n`) : formatTable(streams, Date.now()));
  return 0;
}

/**
 * Adds a page to the streams listed so far. With `order=recent` a stream written while the pages are
 * read comes again on a later page (see http-api.md): it keeps its first place, with the newer info.
 */
export function addPage(
  streams: StreamInfo[],
  page: readonly StreamInfo[],
  places: Map<string, number> = new Map(streams.map((stream, i) => [stream.name, i])),
): void {
  for (const stream of page) {
    const seen = places.get(stream.name);
    if (seen === undefined) places.set(stream.name, streams.push(stream) - 1);
    else streams[seen] = stream;
  }
}

/** The streams as an aligned text table, one per line, under a header. */
export function formatTable(streams: readonly StreamInfo[], now: number): string {
  if (streams.length === 0) return 'no streams\n';
  // Labels and reasons are any text a writer chose: nothing in them may act on the terminal.
  const safe = (text: string): string => terminalText(text, false).replace(/[\t\n]/g, ' ');
  const rows = streams.map((stream) =>
    [
      stream.name,
      stateOf(stream),
      stream.entries.toLocaleString('en-US'),
      formatBytes(stream.bytes),
      String(stream.readers),
      stream.lastTime === undefined ? '-' : ago(now - stream.lastTime),
      safe(
        Object.entries(stream.labels)
          .map(([key, value]) => `${key}=${value}`)
          .join(','),
      ),
    ].map((cell, i) => (i === 1 ? safe(cell) : cell)),
  );
  const header = ['NAME', 'STATE', 'ENTRIES', 'BYTES', 'READERS', 'LAST', 'LABELS'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** `open`, or `ended · exit 3` / `ended · signal SIGTERM`. */
function stateOf(stream: StreamInfo): string {
  if (stream.state !== 'ended') return stream.state;
  const end = stream.end;
  if (end?.exitCode !== undefined) return `ended · exit ${end.exitCode}`;
  return end?.reason === undefined ? 'ended' : `ended · ${end.reason.slice(0, 40)}`;
}

function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
