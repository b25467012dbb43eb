import { type ContextReply, fetchContext, isLivelogClientError, type StreamFilter } from '@livelog/client';
import { type LevelName, parseTimePoint } from '@livelog/protocol';
import { createColors } from 'picocolors';
import { useColor } from '../output/color-mode.js';
import { createEntryFormatter } from '../output/entry-formatter.js';
import { gapNotice } from '../output/gap-notice.js';
import { queryTerms } from '../output/query-terms.js';
import { terminalJson } from '../output/terminal-text.js';
import { explainReadError, readFlagsProblem, sourcesOf, timeFlagProblem } from './read-target.js';
import type { SearchFlags } from './search.js';
import { type SearchLine, searchLines } from './search-context.js';
import { matchPages } from './search-pages.js';

/** Exit codes as grep's: a match, none, or trouble (a usage error, a query the server cannot read, no answer). */
const FOUND = 0;
const NONE = 1;
const TROUBLE = 2;

/** A count flag (`-m`, `-A`, `-B`, `-C`): a whole number up to `max`, undefined when absent. */
function countFlag(name: string, value: string | undefined, max: number): number | string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,7}$/.test(value) || Number(value) > max) return `${name} must be a whole number from 0 to ${max}`;
  return Number(value);
}

/** `livelog search` once its flags are parsed; search.ts registers the command and imports this module only to run it. */
export async function runSearch(url: string, query: string | undefined, flags: SearchFlags): Promise<number> {
  const say = (message: string): void => {
    process.stderr.write(`livelog search: ${message}\n`);
  };
  const fail = (message: string): number => {
    say(message);
    return TROUBLE;
  };
  if (query === undefined) return fail("a query is required: livelog search [URL] QUERY ('' matches every entry)");
  const problem =
    readFlagsProblem(url, flags.stream, flags) ?? timeFlagProblem('--since', flags.since) ?? timeFlagProblem('--until', flags.until);
  if (problem !== undefined) return fail(problem);
  const counts: Record<string, number | undefined> = {};
  for (const [name, value, max] of [
    ['--max-count', flags.maxCount, Number.MAX_SAFE_INTEGER],
    ['--context', flags.context, 1000],
    ['--after-context', flags.afterContext, 1000],
    ['--before-context', flags.beforeContext, 1000],
  ] as const) {
    const parsed = countFlag(name, value, max);
    if (typeof parsed === 'string') return fail(parsed);
    counts[name] = parsed;
  }
  const streamName = flags.stream === '' || flags.stream === undefined ? undefined : flags.stream;
  const sources = sourcesOf(flags);
  // --until is inclusive, as tail's; the server's bound is exclusive. --since is sent as typed, so
  // that the server resolves a duration on its own clock.
  const until = flags.until === undefined ? undefined : (parseTimePoint(flags.until) as number) + 1;
  const filter: StreamFilter = {
    ...(query.trim() === '' ? {} : { q: query }),
    ...(flags.level ? { level: flags.level as LevelName } : {}),
    ...(sources.length > 0 ? { source: sources } : {}),
    ...(flags.since === undefined ? {} : { since: flags.since }),
    ...(until === undefined ? {} : { until: String(until) }),
  };
  const server = { url, ...(flags.token ? { token: flags.token } : {}), ...(streamName === undefined ? {} : { stream: streamName }) };
  const abort = new AbortController();
  const before = counts['--before-context'] ?? counts['--context'] ?? 0;
  const after = counts['--after-context'] ?? counts['--context'] ?? 0;
  const grouped = !flags.count && [flags.context, flags.afterContext, flags.beforeContext].some((value) => value !== undefined);
  const write = lineWriter(flags, query, grouped);
  let matched = 0;
  let closed = false;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    // A closed pipe (`| head`) is the reader saying it has enough.
    closed = true;
    abort.abort();
    if (error.code !== 'EPIPE') say(`cannot write: ${error.message}`);
  });
  try {
    const pages = matchPages({ ...server, filter, reverse: flags.reverse, onGap: (gap) => say(gapNotice(gap)), signal: abort.signal });
    const lines = searchLines(pages, {
      before,
      after,
      grouped,
      reverse: flags.reverse,
      maxCount: counts['--max-count'] ?? Number.POSITIVE_INFINITY,
      around: (id, n, m) => aroundOrNone(server, id, n, m, abort.signal),
    });
    for await (const batch of lines) {
      matched += batch.filter((line) => line.match).length;
      if (!flags.count) await write(batch);
      if (closed) break;
    }
    if (flags.count) await write(undefined, matched);
  } catch (error) {
    if (closed) return matched > 0 ? FOUND : NONE;
    if (!isLivelogClientError(error)) throw error;
    if (error.serverCode === 'LIVELOG_ERR_BAD_QUERY') return fail(`the server cannot read the query: ${serverMessage(error.message)}`);
    if (error.serverCode?.startsWith('LIVELOG_ERR_QUERY_') === true) return fail(serverMessage(error.message));
    if (error.code === 'LIVELOG_CLIENT_ERR_NETWORK') return fail(`cannot read ${url}: ${error.message}`);
    return fail(explainReadError(error, url, streamName));
  }
  // Everything printed must be out before the exit code is.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  return matched > 0 ? FOUND : NONE;
}

/** The server's own words in a client error (`HTTP 400 LIVELOG_ERR_…: q: …`), with its code after them. */
function serverMessage(message: string): string {
  const parsed = /^HTTP \d+ (\S+): (.*)$/s.exec(message);
  return parsed === null ? message : `${parsed[2]} (${parsed[1]})`;
}

/** The context around a match; none when the match is no longer retained (retention ran meanwhile). */
async function aroundOrNone(
  server: { url: string; token?: string; stream?: string },
  id: string,
  before: number,
  after: number,
  signal: AbortSignal,
): Promise<ContextReply> {
  try {
    return await fetchContext({ ...server, around: id, before, after, signal });
  } catch (error) {
    if (isLivelogClientError(error) && error.serverCode === 'LIVELOG_ERR_NO_ENTRY') {
      return { entries: [], anchor: id, hasBefore: false, hasAfter: false };
    }
    throw error;
  }
}

/**
 * Prints batches of lines (or, with `count`, the count), one write each, waiting for a full stdout to
 * drain. pretty/raw: with context or `-n`, each line starts with its seq and `:` for a match or `-`
 * for context, and groups that do not touch are separated by `--`, as grep prints them; the query's
 * terms are highlighted in matches when colour is on. json: each entry with `"match": true|false`,
 * and no separator (NDJSON stays one entry a line).
 */
function lineWriter(
  flags: SearchFlags,
  query: string,
  grouped: boolean,
): (batch: readonly SearchLine[] | undefined, count?: number) => Promise<void> {
  const color = useColor(flags.color, process.env, process.stdout.isTTY === true);
  const c = createColors(color);
  const options = { output: flags.output, timestamps: flags.timestamps, color };
  const formatMatch = createEntryFormatter({ ...options, highlight: queryTerms(query) });
  const formatContext = createEntryFormatter({ ...options, highlight: [] });
  const numbered = grouped || flags.lineNumber;
  const text = (line: SearchLine): string => {
    if (flags.output === 'json') return terminalJson(JSON.stringify({ ...line.entry, match: line.match }));
    const body = line.match ? formatMatch(line.entry) : formatContext(line.entry);
    const prefix = numbered ? `${c.green(String(line.entry.seq))}${c.cyan(line.match ? ':' : '-')}` : '';
    return `${line.groupStart ? `${c.cyan('--')}\n` : ''}${prefix}${body}`;
  };
  return (batch, count) => {
    const out = batch === undefined ? `${count ?? 0}\n` : batch.map((line) => `${text(line)}\n`).join('');
    if (out === '' || process.stdout.write(out)) return Promise.resolve();
    return new Promise((resolve) => {
      // A closed pipe never drains: its error ends the wait too.
      const done = (): void => {
        process.stdout.off('drain', done);
        process.stdout.off('error', done);
        resolve();
      };
      process.stdout.on('drain', done);
      process.stdout.on('error', done);
    });
  };
}
