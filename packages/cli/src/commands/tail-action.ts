import { isLivelogClientError, openStream, type StreamFilter, type StreamStart } from '@livelog/client';
import { decodeCursor, type LevelName, type LogEntry, parseQuery, parseTimePoint, quoteQueryTerm } from '@livelog/protocol';
import { useColor } from '../output/color-mode.js';
import { CursorFile } from '../output/cursor-file.js';
import { createEntryFormatter } from '../output/entry-formatter.js';
import { gapNotice } from '../output/gap-notice.js';
import { compilePatterns, createLineMatcher, literalOf } from '../output/line-matcher.js';
import { watchStdoutClosed } from '../output/stdout-closed.js';
import { explainReadError, readFlagsProblem, sourcesOf, timeFlagProblem, timeRangeProblem } from './read-target.js';
import type { TailFlags } from './tail.js';
import { lastMatching } from './tail-history.js';
import { describeEnd, exitCodeOfEnd, waitForStream } from './tail-stream.js';

/** `livelog tail` once its flags are parsed; tail.ts registers the command and imports this module only to run it. */
export async function runTail(url: string, flags: TailFlags): Promise<number> {
  const fail = (message: string): number => {
    process.stderr.write(`livelog tail: ${message}\n`);
    return 2;
  };
  const say = (message: string): void => {
    process.stderr.write(`livelog tail: ${message}\n`);
  };
  const problem = readFlagsProblem(url, flags.stream, flags);
  if (problem !== undefined) return fail(problem);
  const streamName = flags.stream === '' ? undefined : flags.stream;
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
  const until = flags.until === undefined ? undefined : parseTimePoint(flags.until);
  if (flags.until !== undefined && until === undefined)
    return fail('--until must be a duration back from now (10m, 1h30m), an RFC 3339 time or epoch ms');
  // Checked here for a usage error now; sent as typed, so that the server resolves a duration on its own clock.
  const sinceProblem = timeFlagProblem('--since', flags.since) ?? timeRangeProblem(flags.since, flags.until);
  if (sinceProblem !== undefined) return fail(sinceProblem);
  // Checked with --since too, which wins over it: a bad value is refused, never ignored in silence.
  if (flags.tail !== undefined && flags.tail !== 'all' && !/^(\d+|-1)$/.test(flags.tail)) return fail('--tail must be a number or "all"');
  const start: StreamStart = {};
  const cursorFile = flags.cursorFile === undefined ? undefined : new CursorFile(flags.cursorFile);
  let stored: string | undefined;
  try {
    stored = cursorFile?.read();
  } catch (error) {
    return fail(`--cursor-file ${flags.cursorFile}: ${(error as Error).message}`);
  }
  // Refused, as journalctl refuses a bad cursor: the server would take it for no position at all,
  // start at the live end without a word, and the next id would overwrite the file.
  if (stored !== undefined && !decodeCursor(stored).ok) return fail(cursorFileProblem(flags.cursorFile ?? '', stored));
  if (stored !== undefined) start.lastEventId = stored;
  if (flags.since !== undefined) start.since = flags.since;
  else if (flags.tail === 'all' || flags.tail === '-1') start.tail = 'all';
  else if (flags.tail !== undefined && /^\d+$/.test(flags.tail)) start.tail = Number(flags.tail);
  else if (flags.tail !== undefined) return fail('--tail must be a number or "all"');
  // With a stored cursor and no -n, the cursor alone says where to start: a default tail=10 sent with
  // it is what the server falls back to when the cursor is of a log that is gone (foreign, future),
  // and it would skip, with no count, all but 10 of the lines this reader has not seen.
  else if (stored === undefined) start.tail = 10;

  const follow = flags.follow && until === undefined;
  const color = useColor(flags.color, process.env, process.stdout.isTTY === true);
  const format = createEntryFormatter({ output: flags.output, timestamps: flags.timestamps, color, highlight });
  const matches = createLineMatcher(include, exclude);
  const sources = sourcesOf(flags);
  if (flags.query !== undefined) {
    try {
      parseQuery(flags.query);
    } catch (error) {
      return fail(`--query: ${(error as Error).message}`);
    }
  }
  // One plain-text -i is also a server filter (msg:"…", a case-insensitive substring of the message,
  // so it narrows without losing a match); when case cannot matter and nothing is excluded, it is the
  // same filter exactly. --query is the server's alone, so it never makes the server's filter inexact.
  const literal = include.length === 1 ? literalOf(flags.include[0] as string) : undefined;
  const serverMatchesAll =
    (include.length === 0 || (literal !== undefined && literal.toLowerCase() === literal.toUpperCase())) && exclude.length === 0;
  const terms = [
    ...(flags.query !== undefined && flags.query.trim() !== '' ? [`(${flags.query})`] : []),
    ...(literal !== undefined && literal !== '' ? [`msg:${quoteQueryTerm(literal)}`] : []),
  ];
  const q = terms.length > 0 ? terms.join(' ') : undefined;
  const filter: StreamFilter = {
    ...(flags.level ? { level: flags.level as LevelName } : {}),
    ...(sources.length > 0 ? { source: sources } : {}),
    ...(q !== undefined ? { q } : {}),
  };
  // "-n N" counts matching lines: the server's tail=N does when its filter is the whole test;
  // otherwise the stream starts live and the last N matches are found by paging back from its head.
  let lastCount: number | undefined;
  if (
    !serverMatchesAll &&
    typeof start.tail === 'number' &&
    start.tail > 0 &&
    start.lastEventId === undefined &&
    start.since === undefined
  ) {
    lastCount = start.tail;
    delete start.tail;
  }
  if (streamName !== undefined && follow) {
    // A job's stream is created by its first line: following it may well start before that.
    await waitForStream({
      url,
      stream: streamName,
      ...(flags.token ? { token: flags.token } : {}),
      signal: new AbortController().signal,
      onWaiting: () => say(`stream ${streamName} does not exist yet; waiting for its first line, Ctrl-C to stop`),
    });
  }
  const stream = openStream({
    url,
    ...(flags.token ? { token: flags.token } : {}),
    ...(streamName === undefined ? {} : { stream: streamName }),
    start,
    filter,
    // The server stops at --until (close reason `until`; the server's bound is exclusive, --until is
    // inclusive, hence + 1 ms); the check in writeEntries stays for servers without `until`.
    ...(until === undefined ? {} : { until: until + 1 }),
  });
  const context: WriteContext = { format, matches, until, onUntil: () => finish(0) };
  let done = false;
  let history: Promise<void> = Promise.resolve();
  const historyAbort = new AbortController();
  let resolveExit: (code: number) => void = () => undefined;
  // A reader of stdout that left (`| head -1`), noticed while no entry comes to be written, whose
  // EPIPE would end the run (see the 'error' listener below and watchStdoutClosed).
  const stopWatchingStdout = watchStdoutClosed(() => finish(0, true));
  /** Ends the run once the history being printed is out; `now` (Ctrl-C, a closed stdout) does not wait for it. */
  const finish = (code: number, now = false): void => {
    if (done) return;
    done = true;
    stopWatchingStdout();
    if (now) historyAbort.abort();
    stream.close();
    void history.then(() => {
      if (stream.lastEventId !== '') cursorFile?.update(stream.lastEventId);
      cursorFile?.flush();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // Everything printed must be out before the exit code is.
      process.stdout.write('', () => resolveExit(code));
    });
  };
  const onSignal = (): void => finish(0, true);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    // A closed pipe (`| head`) is the reader saying it has enough.
    finish(error.code === 'EPIPE' ? 0 : 1, true);
  });
  /** The head when the first connection opened: without --follow, the end. */
  let target: number | undefined;
  let everOpened = false;
  let waitingSaid = false;
  const reachedTarget = (): boolean => {
    if (follow || target === undefined) return false;
    const decoded = decodeCursor(stream.lastEventId);
    return decoded.ok && decoded.cursor.seq >= target;
  };

  stream.on('hello', (hello) => {
    target ??= hello.last;
    if (lastCount === undefined) return undefined;
    const count = lastCount;
    lastCount = undefined;
    // Returned, so the stream reads nothing more until the history is printed: order is kept.
    history = lastMatching({
      url,
      ...(flags.token ? { token: flags.token } : {}),
      ...(streamName === undefined ? {} : { stream: streamName }),
      filter,
      hello,
      count,
      matches,
      signal: historyAbort.signal,
    })
      .then((entries) => writeEntries(entries, context))
      .catch((error: unknown) => {
        if (historyAbort.signal.aborted) return;
        say(
          `cannot read the last ${count} matching entries: ${isLivelogClientError(error) ? explainReadError(error, url, streamName) : String(error)}`,
        );
        finish(1);
      });
    return history;
  });
  stream.on('entries', (batch) => writeEntries(batch, context));
  stream.on('cursor', (id) => {
    cursorFile?.update(id);
    if (reachedTarget()) finish(0);
  });
  stream.on('status', (status) => {
    // Closed without an error: the server's `until` was reached.
    if (status.state === 'closed' && status.error === undefined) finish(0);
    if (status.state === 'open') {
      if (waitingSaid && !everOpened) say(`${url} answered; following`);
      everOpened = true;
      if (reachedTarget()) finish(0);
      return;
    }
    if (status.state !== 'waiting') return;
    const reason = status.error?.message ?? 'no answer';
    if (!everOpened) {
      // Never answered: a wrong port, a server not started yet. Printing what is there cannot wait for it.
      if (!follow) {
        say(`cannot read ${url}: ${reason}`);
        finish(1);
      } else if (!waitingSaid) {
        waitingSaid = true;
        say(`waiting for ${url}, which has not answered yet (${reason}); retrying until it does, Ctrl-C to stop`);
      }
      return;
    }
    if (!flags.quiet && status.attempt === 0) say(`connection lost (${reason}); reconnecting from ${status.lastEventId || 'the start'}`);
  });
  stream.on('hello', () => {
    const stats = stream.stats();
    if (!flags.quiet && stats.reconnects > 0 && stats.lastResumeMs !== undefined) say(`resumed after ${stats.lastResumeMs} ms`);
  });
  stream.on('gap', (gap) => {
    say(gapNotice(gap));
  });
  stream.on('reset', (reset) => {
    // A deleted stream does not start over: the error that follows says what happened.
    if (reset.reason === 'deleted') return;
    // A future id: the server's store lost entries this reader saw and gave their seqs out again.
    if (reset.reason === 'future') say('the server lost entries past its head (future); started over: lines printed before may come again');
    else say(`the server could not continue from the given position (${reset.reason}); started over`);
  });
  stream.on('end', (end) => {
    say(describeEnd(streamName ?? 'default', end));
    // Only a follower waits for the end, so only its exit code tells how the job went.
    finish(follow ? exitCodeOfEnd(end) : 0);
  });
  stream.on('error', (error) => {
    say(explainReadError(error, url, streamName));
    finish(1);
  });
  return new Promise<number>((resolve) => {
    resolveExit = resolve;
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

/** Why a cursor file's text is no cursor; the text is shown cut short (it may be any file). */
function cursorFileProblem(path: string, text: string): string {
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return `--cursor-file ${path} holds ${JSON.stringify(shown)}, not an entry id (<stream>:<seq>); remove the file to start afresh`;
}
