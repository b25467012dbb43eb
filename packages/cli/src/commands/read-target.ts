import type { LivelogClientError } from '@livelog/client';
import { isDurationTooFarBack, isLevelName, parseTimePoint, splitSourceList } from '@livelog/protocol';
import { type Command, Option } from 'commander';
import { streamNameProblem } from '../ingest/stream-name.js';
import type { ColorFlag } from '../output/color-mode.js';
import type { OutputFormat } from '../output/entry-formatter.js';

/** Where the reading commands (`tail`, `search`, `streams`, `verify`) go when given no URL and no LIVELOG_URL. */
export const DEFAULT_TAIL_URL = 'http://127.0.0.1:7600';

/** The flags `tail` and `search` share: how entries are selected by level and source, and printed. */
export interface ReadFlags {
  timestamps: boolean;
  level?: string;
  source: string[];
  output: OutputFormat;
  color: ColorFlag;
  token?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Adds the ReadFlags options to `command`, so that both commands spell and describe them alike. */
export function addReadOptions(command: Command): Command {
  return command
    .option('-t, --timestamps', 'show each entry’s time', false)
    .option('--level <level>', 'only entries at this level or above (trace, debug, info, warn, error, fatal)')
    .option('--source <sources>', 'only these sources (comma-separated, repeatable)', collect, [])
    .addOption(
      new Option('-o, --output <format>', 'pretty, raw (message only) or json (NDJSON)')
        .choices(['pretty', 'raw', 'json'])
        .default('pretty'),
    )
    .addOption(
      new Option('--color <when>', 'colour: auto (TTY, NO_COLOR, FORCE_COLOR), always, never')
        .choices(['auto', 'always', 'never'])
        .default('auto'),
    )
    .addOption(new Option('--token <token>', 'token with the read scope').env('LIVELOG_TOKEN'));
}

/**
 * The usage problem of the URL, `--stream` and `--level`, in words, or undefined when there is none.
 * An empty `--stream` means the stream `default`.
 */
export function readFlagsProblem(url: string, stream: string | undefined, flags: Pick<ReadFlags, 'level'>): string | undefined {
  const urlProblem = checkUrl(url);
  if (urlProblem !== undefined) return urlProblem;
  const streamProblem = stream === undefined || stream === '' ? undefined : streamNameProblem(stream);
  if (streamProblem !== undefined) return streamProblem;
  if (flags.level !== undefined && !isLevelName(flags.level)) return '--level must be trace, debug, info, warn, error or fatal';
  return undefined;
}

/** `--source a,b --source c` as a list. */
export function sourcesOf(flags: Pick<ReadFlags, 'source'>): string[] {
  return flags.source.flatMap(splitSourceList);
}

/** A time flag's problem in words, or undefined when it is absent or readable. */
export function timeFlagProblem(flag: '--since' | '--until', value: string | undefined): string | undefined {
  if (value === undefined || parseTimePoint(value) !== undefined) return undefined;
  if (isDurationTooFarBack(value)) return `${flag} ${value} reaches back before 1970-01-01, the earliest time livelog reads`;
  return `${flag} must be a duration back from now (10m, 1h30m), an RFC 3339 time or epoch ms`;
}

/** `--since` after `--until`, in words (both readable); an empty range is the user's slip, not the server's failure. */
export function timeRangeProblem(since: string | undefined, until: string | undefined): string | undefined {
  const from = since === undefined ? undefined : parseTimePoint(since);
  const to = until === undefined ? undefined : parseTimePoint(until);
  if (from === undefined || to === undefined || from <= to) return undefined;
  return `--since ${since} is after --until ${until}: nothing can be in that range`;
}

/** Why `url` cannot be read from, in words; undefined when it is an http(s) URL. */
export function checkUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${JSON.stringify(url)} is not a URL: give the scheme too, e.g. http://${url}`;
  }
  // `localhost:7600` parses, as the scheme "localhost:".
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `${JSON.stringify(url)} is not an http:// or https:// URL${/^[\w.-]+:\d/.test(url) ? `: did you mean http://${url}?` : ''}`;
  }
  return undefined;
}

/** A fatal client error in words a user can act on. */
export function explainReadError(error: LivelogClientError, url: string, stream: string | undefined): string {
  switch (error.code) {
    case 'LIVELOG_CLIENT_ERR_STREAM_NOT_FOUND':
      return `${url} has no stream ${stream ?? 'default'} (a stream exists once its first line is written; follow it to wait for that)`;
    case 'LIVELOG_CLIENT_ERR_STREAM_DELETED':
      return `stream ${stream ?? 'default'} was deleted on ${url}`;
    case 'LIVELOG_CLIENT_ERR_UNAUTHORIZED':
      return `${url} needs a valid token with the read scope: pass --token or set LIVELOG_TOKEN (${error.message})`;
    case 'LIVELOG_CLIENT_ERR_FORBIDDEN':
      // The token may well have the read scope, only for other streams: say which it is.
      if (error.serverCode === 'LIVELOG_ERR_AUTH_STREAM_FORBIDDEN') {
        return `the token does not cover stream ${stream ?? 'default'} on ${url}${stream === undefined ? ' (pass --stream NAME for a stream it covers)' : ''} (${error.message})`;
      }
      return `the token is not allowed to read ${url}: it needs the read scope (${error.message})`;
    case 'LIVELOG_CLIENT_ERR_NOT_SSE':
      return `${url} does not look like a livelog server: ${error.message}`;
    default:
      return error.message;
  }
}
