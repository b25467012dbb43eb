import type { ContextReply } from '@livelog/client';
import type { LogEntry } from '@livelog/protocol';
import type { MatchPage } from './search-pages.js';

/** One line to print. */
export interface SearchLine {
  entry: LogEntry;
  /** A match (grep's `:`), else a context line (grep's `-`). */
  match: boolean;
  /** The first line of a group that does not touch the previous one: grep prints `--` before it. */
  groupStart: boolean;
}

/** What `searchLines` needs. */
export interface SearchLinesOptions {
  /** Context lines older than each match (grep's `-B`). */
  before: number;
  /** Context lines newer than each match (grep's `-A`). */
  after: number;
  /** Newest first: the order of the pages, and of the lines printed. */
  reverse: boolean;
  /** Group lines as grep does with a context flag (even `-C 0`): `--` between groups that do not touch. */
  grouped: boolean;
  /** Matches counted before stopping (grep's `-m`); later lines are context at most. Infinity: all. */
  maxCount: number;
  /** `GET …/logs?around=<id>&before=N&after=N` (counts in seq order, whatever the output order). */
  around: (id: string, before: number, after: number) => Promise<ContextReply>;
}

/** The window of entries last read with `around`, in output order. */
interface Window {
  entries: LogEntry[];
  /** Entries exist beyond its first / last one. */
  moreLead: boolean;
  moreTrail: boolean;
}

/** Extra trailing lines asked with each context read, so that a run of close matches needs one read, not one each. */
const READ_AHEAD = 32;
const MAX_CONTEXT = 1000;

/**
 * The lines of a search with grep's context rules, batch by batch: each match with `before` older
 * and `after` newer unfiltered lines; windows that overlap or touch merge into one group, every line
 * printed once; a line is marked a match when it is one, even when it first shows up as the context
 * of an earlier match. For that, a match's window is printed only once the search has scanned past
 * its last line (the page's `frontier`), so later matches inside it are known. Without context, every
 * match is its own line and nothing is read but the pages.
 */
export async function* searchLines(pages: AsyncIterable<MatchPage>, options: SearchLinesOptions): AsyncGenerator<SearchLine[]> {
  // Positions in output order: seq, or -seq newest first. Lines "lead" a match above it, "trail" below.
  const key = (seq: number): number => (options.reverse ? -seq : seq);
  const lead = options.reverse ? options.after : options.before;
  const trail = options.reverse ? options.before : options.after;
  const context = options.grouped;
  const iterator = pages[Symbol.asyncIterator]();
  const queue: LogEntry[] = [];
  const matches = new Set<number>();
  let taken = 0;
  let frontier = Number.NEGATIVE_INFINITY;
  let exhausted = options.maxCount <= 0;
  const pull = async (): Promise<void> => {
    const step = await iterator.next();
    if (step.done === true) {
      exhausted = true;
      return;
    }
    for (const entry of step.value.entries) {
      if (taken >= options.maxCount) break;
      taken++;
      queue.push(entry);
      if (context) matches.add(entry.seq);
    }
    if (taken >= options.maxCount || step.value.frontier === undefined) exhausted = true;
    else frontier = key(step.value.frontier);
  };
  let last = Number.NEGATIVE_INFINITY;
  let printed = false;
  let window: Window | undefined;
  const windowOf = async (match: LogEntry): Promise<LogEntry[]> => {
    if (lead === 0 && trail === 0) return [match];
    const cached = window === undefined ? undefined : slice(window, match, lead, trail, last, key);
    if (cached !== undefined) return cached;
    const ahead = Math.min(MAX_CONTEXT, trail + READ_AHEAD);
    const reply = await options.around(match.id, options.reverse ? ahead : options.before, options.reverse ? options.after : ahead);
    window = {
      entries: options.reverse ? reply.entries.reverse() : reply.entries,
      moreLead: options.reverse ? reply.hasAfter : reply.hasBefore,
      moreTrail: options.reverse ? reply.hasBefore : reply.hasAfter,
    };
    return slice(window, match, lead, trail, last, key) ?? [match];
  };
  try {
    for (;;) {
      if (queue.length === 0) {
        if (exhausted) return;
        await pull();
        continue;
      }
      const match = queue[0] as LogEntry;
      // Its trailing lines must be classified before they are printed: scan that far first.
      while (context && !exhausted && key(match.seq) + trail > frontier) await pull();
      queue.shift();
      if (!context) {
        yield [{ entry: match, match: true, groupStart: false }];
        continue;
      }
      const fresh = (await windowOf(match)).filter((entry) => key(entry.seq) > last);
      if (fresh.length === 0) continue;
      // Seqs are dense: a group touches the previous one when its first line is the next seq.
      const groupStart = printed && key((fresh[0] as LogEntry).seq) > last + 1;
      const lines = fresh.map((entry, i) => ({ entry, match: matches.delete(entry.seq), groupStart: groupStart && i === 0 }));
      last = key((fresh[fresh.length - 1] as LogEntry).seq);
      printed = true;
      yield lines;
    }
  } finally {
    await iterator.return?.(undefined);
  }
}

/**
 * The lines of `match`'s window from what `window` holds, or undefined when it lacks some: `lead`
 * lines before it (those after `last`, the last printed, are enough) and `trail` after it.
 */
function slice(
  window: Window,
  match: LogEntry,
  lead: number,
  trail: number,
  last: number,
  key: (seq: number) => number,
): LogEntry[] | undefined {
  const at = window.entries.findIndex((entry) => entry.seq === match.seq);
  if (at < 0) return undefined;
  const first = window.entries[0] as LogEntry;
  const leadOk = at - lead >= 0 || !window.moreLead || key(first.seq) <= last;
  const trailOk = at + trail < window.entries.length || !window.moreTrail;
  return leadOk && trailOk ? window.entries.slice(Math.max(0, at - lead), at + trail + 1) : undefined;
}
