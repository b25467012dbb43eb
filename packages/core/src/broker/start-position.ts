import { decodeCursor, type ResetReason } from '@livelog/protocol';
import { type EntryFilter, isEmptyFilter } from '../entry/entry-filter.js';
import { type LogStore, resumeOf, type StoreBounds } from '../store/log-store.js';

/**
 * Where a reader asks to start. The first one given wins, in this order: `lastEventId` (from the
 * `Last-Event-ID` header or `?lastEventId=`), `since`, `tail`, `fromStart`; none means live only.
 */
export interface StartRequest {
  lastEventId?: string;
  /** Epoch ms: entries from this time on. */
  since?: number;
  /** The last N retained entries (matching the filter), then live. */
  tail?: number;
  /** Everything retained, then live. */
  fromStart?: boolean;
  /** Live only, asked for in so many words (`?from=end`): kept even after a foreign id's `reset`. */
  fromEnd?: boolean;
}

/** Where a reader starts: it receives entries with seq > `seq`. */
export interface ResolvedStart {
  seq: number;
  /** Set when `lastEventId` was given but could not be used, and why. */
  reset?: ResetReason;
  bounds: StoreBounds;
}

/**
 * Resolves a start request against the store. A last event id that is malformed, from another stream,
 * or past the newest entry yields a `reset` and the start the other parameters ask for. A valid id
 * older than the retained window is returned as is: the subscription reports the gap when it reads.
 *
 * A foreign id with no start asked for starts at the oldest retained entry, not live: the reader has
 * read up to a point of a stream that is gone (deleted and written again under the same name, data
 * wiped), so every entry of this one is new to it. Live only would drop, with no count, whatever the
 * new stream received before the reader came back, and a browser's EventSource resends the same URL
 * with its old id, so it cannot ask for more. `@livelog/client` resumes with `from=start` for this.
 *
 * A future id with no start asked for starts there too. Its seq was given out by this stream, so the
 * store lost its tail (a power cut under `--durability normal`, an older copy of the file restored,
 * a Redis failover to a lagging replica) and has since handed the lost seqs to new entries: where the
 * reader's history and the store's part is unknowable from the store (a restored file carries its
 * own record of opens, so the head it had at any open looks like the rest), and starting at the head
 * would drop, with no count, everything written since the store came back. The reader gets the
 * retained entries it already saw again, announced by the `reset` before them.
 */
export async function resolveStart(store: LogStore, request: StartRequest, filter?: EntryFilter): Promise<ResolvedStart> {
  const bounds = await store.bounds();
  let reset: ResetReason | undefined;
  if (request.lastEventId !== undefined) {
    const decoded = decodeCursor(request.lastEventId);
    if (!decoded.ok) reset = 'malformed';
    else if (decoded.cursor.stream !== store.streamId) reset = 'foreign';
    else if (decoded.cursor.seq > bounds.last) reset = 'future';
    else return { seq: decoded.cursor.seq, bounds };
  }
  const seq =
    (reset === 'foreign' || reset === 'future') && !startAskedFor(request)
      ? bounds.first - 1
      : await startWithoutCursor(store, request, bounds, filter);
  return reset === undefined ? { seq, bounds } : { seq, reset, bounds };
}

function startAskedFor(request: StartRequest): boolean {
  return request.since !== undefined || request.tail !== undefined || request.fromStart === true || request.fromEnd === true;
}

async function startWithoutCursor(store: LogStore, request: StartRequest, bounds: StoreBounds, filter?: EntryFilter): Promise<number> {
  const beforeFirst = bounds.first - 1;
  if (request.since !== undefined) return Math.max(beforeFirst, await store.seqBeforeTime(request.since));
  if (request.tail !== undefined) {
    if (request.tail === 0) return bounds.last;
    if (isEmptyFilter(filter)) return Math.max(beforeFirst, bounds.last - request.tail);
    return filteredTailStart(store, request.tail, bounds, filter);
  }
  if (request.fromStart) return beforeFirst;
  return bounds.last;
}

/** Entries read per step while counting back a filtered tail: memory stays bounded whatever N is. */
const TAIL_PAGE = 1000;

/**
 * With a filter, "the last N" means the last N that match, as a reader of `grep | tail` expects.
 * Counted back page by page (each read bounded and yielding, see chunked-scan.ts), never read at
 * once: `tail=10000000&level=error` must not hold ten million rows in memory or freeze the loop.
 */
async function filteredTailStart(store: LogStore, tail: number, bounds: StoreBounds, filter: EntryFilter | undefined): Promise<number> {
  let before = bounds.last + 1;
  let counted = 0;
  let start = bounds.last;
  while (counted < tail) {
    const limit = Math.min(TAIL_PAGE, tail - counted);
    const page = await store.read({ before, direction: 'backward', limit, ...(filter ? { filter } : {}) });
    const oldest = page.entries[0];
    // No match before the oldest one counted, so starting just before it skips nothing wanted.
    if (oldest !== undefined) start = oldest.seq - 1;
    counted += page.entries.length;
    const resume = resumeOf(page, 'backward');
    if (resume === undefined) break;
    before = resume;
  }
  return start;
}
