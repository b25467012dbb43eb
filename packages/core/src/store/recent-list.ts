import { LivelogError } from '../errors.js';
import type { ListStreamsPage, ListStreamsQuery } from './log-database.js';
import type { StoredStreamInfo } from './log-store.js';

/** A stream as a database lists it by recency: its info and its last activity (ms). */
export interface RecentItem {
  info: StoredStreamInfo;
  activity: number;
}

/**
 * What a database provides for `order=recent` paging; both filter by the query's prefix and labels.
 * Equal activities (streams written by one commit or one batch) come in name order in every database,
 * so that a listing reads the same on each; `after` continues that order.
 *
 * Activity must rise strictly with every write a reader can see apart (a SQLite commit, a memory
 * append, a Redis touch): one more than the highest before when the clock has not moved on, and never
 * less, also on Redis where it lands up to a second late from instances whose clocks differ. Then a
 * `bound` read before a write is below the activity that write records.
 */
export interface RecentSource {
  /** The highest activity of any stream now (0 for none). */
  bound(): Promise<number>;
  /** Up to `count` streams by activity, newest first, after `after` (exclusive), none above `bound` when given. */
  byRecency(after: { activity: number; name: string } | undefined, bound: number | undefined, count: number): Promise<RecentItem[]>;
  /** Up to `count` streams with an activity above `bound`, in name order, after `afterName` (exclusive). */
  movedByName(bound: number, afterName: string | undefined, count: number): Promise<RecentItem[]>;
}

/**
 * Where an `order=recent` listing stands: after this stream, in this part of the listing. A cursor of
 * an earlier version has no bound, and pages as it did: by recency alone.
 */
type RecentPosition =
  | { phase: 'recent'; activity: number; name: string; bound: number | undefined }
  | { phase: 'moved'; name: string; bound: number };

/**
 * One page of `order=recent`, stable while streams are written between pages.
 *
 * Writing a stream raises its activity and moves it to the front: plain keyset paging by (activity,
 * name) would skip a stream not yet listed that is written after the first page. So the first page
 * (plain recency, freshest first) pins a bound, the highest activity when the listing began. Later
 * pages list by recency only the streams at or below it, which no write since has touched, so their
 * order holds; once those are through, every stream above it (written since the listing began, or
 * created) follows in name order, which a write cannot change. So every stream that existed at the
 * first page is listed; one written after it may be listed twice (before and after), never more.
 */
export async function listByRecency(source: RecentSource, query: ListStreamsQuery): Promise<ListStreamsPage> {
  const at = query.after === undefined ? undefined : decodeRecentCursor(query.after);
  // Read before the page: a stream written in between is above it, and is listed after the others too.
  const bound = at === undefined ? await source.bound() : at.bound;
  const want = query.limit + 1;
  const found: { info: StoredStreamInfo; position: RecentPosition }[] = [];
  if (at === undefined || at.phase === 'recent') {
    const after = at === undefined ? undefined : { activity: at.activity, name: at.name };
    for (const item of await source.byRecency(after, at?.bound, want)) {
      found.push({ info: item.info, position: { phase: 'recent', activity: item.activity, name: item.info.name, bound } });
    }
  }
  // The first page lists everything when it runs out; so does a cursor without a bound.
  if (at !== undefined && bound !== undefined && found.length < want) {
    const afterName = at.phase === 'moved' ? at.name : undefined;
    for (const item of await source.movedByName(bound, afterName, want - found.length)) {
      found.push({ info: item.info, position: { phase: 'moved', name: item.info.name, bound } });
    }
  }
  const page = found.slice(0, query.limit);
  const last = page[page.length - 1];
  const result: ListStreamsPage = { streams: page.map((item) => item.info) };
  if (found.length > query.limit && last !== undefined) result.next = encodeRecentCursor(last.position);
  return result;
}

/** base64url of `r:<activity>:<bound>:<name>` or `m:<bound>:<name>`; names hold no `:`. */
function encodeRecentCursor(position: RecentPosition): string {
  const text =
    position.phase === 'moved'
      ? `m:${position.bound}:${position.name}`
      : position.bound === undefined
        ? `r:${position.activity}:${position.name}`
        : `r:${position.activity}:${position.bound}:${position.name}`;
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** Decodes a `next` of `order=recent`, also the unbounded `r:<activity>:<name>` of earlier versions. */
function decodeRecentCursor(cursor: string): RecentPosition {
  const bad = () => new LivelogError('LIVELOG_ERR_QUERY_BAD_PARAM', 'after is not a cursor of this list', { param: 'after' });
  if (cursor.length > 400 || !/^[A-Za-z0-9_-]*$/.test(cursor)) throw bad();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const bounded = /^r:(\d{1,16}):(\d{1,16}):([^:]*)$/.exec(text);
  if (bounded !== null) return { phase: 'recent', activity: Number(bounded[1]), bound: Number(bounded[2]), name: bounded[3] as string };
  const legacy = /^r:(\d{1,16}):([^:]*)$/.exec(text);
  if (legacy !== null) return { phase: 'recent', activity: Number(legacy[1]), bound: undefined, name: legacy[2] as string };
  const moved = /^m:(\d{1,16}):([^:]*)$/.exec(text);
  if (moved !== null) return { phase: 'moved', bound: Number(moved[1]), name: moved[2] as string };
  throw bad();
}
