import { type LivelogClientError, openStream, type StreamStart } from '@livelog/client';
import { decodeCursor, isLevelName, type LevelName, type LogEntry, parseTimePoint } from '@livelog/protocol';
import { type Command, Option } from 'commander';
import { type ColorFlag, useColor } from '../output/color-mode.js';
import { CursorFile } from '../output/cursor-file.js';
import { createEntryFormatter, type OutputFormat } from '../output/entry-formatter.js';
import { compilePatterns, createLineMatcher } from '../output/line-matcher.js';

/** Where `livelog tail` reads from when given no URL and no LIVELOG_URL. */
export const DEFAULT_TAIL_URL = 'http://127.0.0.1:7600';

interface TailFlags {
  follow: boolean;
  tail?: string;
  since?: string;
  until?: string;
  timestamps: boolean;
  level?: string;
  source: string[];
  include: string[];
  exclude: string[];
  highlight: string[];
  output: OutputFormat;
  color: ColorFlag;
  token?: string;
  cursorFile?: string;
  quiet: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * `livelog tail [URL]`: prints a server's entries and follows it, resuming after every cut without
 * losing or repeating a line. Flags follow tail -F, docker logs, kubectl logs, stern and journalctl.
 * Entries go to stdout; gaps, resets and reconnects to stderr only.
 */
export function registerTail(program: Command): void {
  program
    .command('tail')
    .description('print and follow the entries of a livelog server, resuming after every cut')
    .argument('[url]', `server base URL (default $LIVELOG_URL or ${DEFAULT_TAIL_URL})`)
    .option('-f, --follow', 'keep following new entries (default)', true)
    .option('--no-follow', 'print what is there and exit')
    .option('-n, --tail <n>', 'start with the last N entries, or "all" (default 10)')
    .option('--since <time>', 'start at a time: a duration back from now (10m, 1h30m), RFC 3339, or epoch ms')
    .option('--until <time>', 'stop at a time (same forms as --since); implies --no-follow')
    .option('-t, --timestamps', 'show each entry’s time', false)
    .option('--level <level>', 'only entries at this level or above (trace, debug, info, warn, error, fatal)')
    .option('--source <sources>', 'only these sources (comma-separated, repeatable)', collect, [])
    .option('-i, --include <regex>', 'only messages matching (repeatable: any)', collect, [])
    .option('-e, --exclude <regex>', 'no messages matching (repeatable)', collect, [])
    .option('-H, --highlight <regex>', 'highlight matches (repeatable; needs colour)', collect, [])
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
    .addOption(new Option('--token <token>', 'token with the read scope').env('LIVELOG_TOKEN'))
    .option('--cursor-file <path>', 'continue after the id stored here, and store the last id printed')
    .option('-q, --quiet', 'no reconnect notices on stderr (gaps are still reported)', false)
    .action(async (url: string | undefined, flags: TailFlags) => {
      // Exit explicitly: a closed stream leaves nothing to wait for, and a pooled socket must not delay the exit.
      process.exit(await runTail(url ?? process.env.LIVELOG_URL ?? DEFAULT_TAIL_URL, flags));
    });
}

async function runTail(url: string, flags: TailFlags): Promise<number> {
  const fail = (message: string): number => {
    process.stderr.write(`livelog tail: ${message}\n`);
    return 2;
  };
  let include: RegExp[];
  let exclude: RegExp[];
  let highlight: RegExp[];
  try {
    include = compilePatterns('--include', flags.include);
    exclude = compilePatterns('--exclude', flags.exclude);
    highlight = compilePatterns('--highlight', flags.highlight);
  } catch (error) {
    return fail((error as Error).message);
  }
  if (flags.level !== undefined && !isLevelName(flags.level)) return fail('--level must be trace, debug, info, warn, error or fatal');
  const until = flags.until === undefined ? undefined : parseTimePoint(flags.until);
  if (flags.until !== undefined && until === undefined)
    return fail('--until must be a duration back from now (10m, 1h30m), an RFC 3339 time or epoch ms');
  // Checked here for a usage error now; sent as typed, so that the server resolves a duration on its own clock.
  if (flags.since !== undefined && parseTimePoint(flags.since) === undefined) {
    return fail('--since must be a duration back from now (10m, 1h30m), an RFC 3339 time or epoch ms');
  }
  const start: StreamStart = {};
  const cursorFile = flags.cursorFile === undefined ? undefined : new CursorFile(flags.cursorFile);
  const stored = cursorFile?.read();
  if (stored !== undefined) start.lastEventId = stored;
  if (flags.since !== undefined) start.since = flags.since;
  else if (flags.tail === 'all' || flags.tail === '-1') start.tail = 'all';
  else if (flags.tail === undefined || /^\d+$/.test(flags.tail)) start.tail = Number(flags.tail ?? 10);
  else return fail('--tail must be a number or "all"');

  const follow = flags.follow && until === undefined;
  const format = createEntryFormatter({
    output: flags.output,
    timestamps: flags.timestamps,
    color: useColor(flags.color, process.env, process.stdout.isTTY === true),
    highlight,
  });
  const matches = createLineMatcher(include, exclude);
  const sources = flags.source.flatMap((value) => value.split(',')).filter((source) => source.trim() !== '');
  const stream = openStream({
    url,
    ...(flags.token ? { token: flags.token } : {}),
    start,
    filter: {
      ...(flags.level ? { level: flags.level as LevelName } : {}),
      ...(sources.length > 0 ? { source: sources } : {}),
    },
  });
  return new Promise<number>((resolve) => {
    let done = false;
    /** The head when the first connection opened: without --follow, the end. */
    let target: number | undefined;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      stream.close();
      if (stream.lastEventId !== '') cursorFile?.update(stream.lastEventId);
      cursorFile?.flush();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // Everything printed must be out before the exit code is.
      process.stdout.write('', () => resolve(code));
    };
    const onSignal = (): void => finish(0);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      // A closed pipe (`| head`) is the reader saying it has enough.
      finish(error.code === 'EPIPE' ? 0 : 1);
    });
    const reachedTarget = (): boolean => {
      if (follow || target === undefined) return false;
      const decoded = decodeCursor(stream.lastEventId);
      return decoded.ok && decoded.cursor.seq >= target;
    };

    stream.on('hello', (hello) => {
      target ??= hello.last;
    });
    stream.on('entries', (batch) => writeEntries(batch, { format, matches, until, onUntil: () => finish(0) }));
    stream.on('cursor', (id) => {
      cursorFile?.update(id);
      if (reachedTarget()) finish(0);
    });
    stream.on('status', (status) => {
      if (status.state === 'open' && reachedTarget()) finish(0);
      if (flags.quiet) return;
      if (status.state === 'waiting' && status.attempt === 0) {
        process.stderr.write(
          `livelog tail: connection lost (${status.error?.message ?? 'ended'}); reconnecting from ${status.lastEventId || 'the start'}\n`,
        );
      }
    });
    stream.on('hello', () => {
      const stats = stream.stats();
      if (!flags.quiet && stats.reconnects > 0 && stats.lastResumeMs !== undefined) {
        process.stderr.write(`livelog tail: resumed after ${stats.lastResumeMs} ms\n`);
      }
    });
    stream.on('gap', (gap) => {
      process.stderr.write(
        `livelog tail: ${gap.missed} entries (seq ${gap.fromSeq}..${gap.toSeq}) were removed by retention before they could be read\n`,
      );
    });
    stream.on('reset', (reset) => {
      process.stderr.write(`livelog tail: the server could not continue from the given position (${reset.reason}); started over\n`);
    });
    stream.on('error', (error) => {
      process.stderr.write(`livelog tail: ${explain(error, url)}\n`);
      finish(1);
    });
  });
}

interface WriteContext {
  format: (entry: LogEntry) => string;
  matches: (entry: LogEntry) => boolean;
  until: number | undefined;
  onUntil: () => void;
}

/** Prints a batch as one write; a full stdout holds the stream back instead of growing memory. */
function writeEntries(batch: readonly LogEntry[], context: WriteContext): Promise<void> | undefined {
  let text = '';
  for (const entry of batch) {
    if (context.until !== undefined && entry.time > context.until) {
      if (text !== '') process.stdout.write(text);
      context.onUntil();
      return undefined;
    }
    if (context.matches(entry)) text += `${context.format(entry)}\n`;
  }
  if (text === '' || process.stdout.write(text)) return undefined;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}

/** A fatal client error in words a user can act on. */
function explain(error: LivelogClientError, url: string): string {
  switch (error.code) {
    case 'LIVELOG_CLIENT_ERR_UNAUTHORIZED':
      return `${url} needs a valid token with the read scope: pass --token or set LIVELOG_TOKEN (${error.message})`;
    case 'LIVELOG_CLIENT_ERR_FORBIDDEN':
      return `the token is not allowed to read ${url}: it needs the read scope (${error.message})`;
    case 'LIVELOG_CLIENT_ERR_NOT_SSE':
      return `${url} does not look like a livelog server: ${error.message}`;
    default:
      return error.message;
  }
}
