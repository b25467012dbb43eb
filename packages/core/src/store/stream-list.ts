import { LivelogError } from '../errors.js';
import type { ListStreamsQuery } from './log-database.js';

/** Where a page of a stream list ends: the last stream's name and, for `recent`, its activity. */
export interface ListPosition {
  name: string;
  activity: number;
}

/**
 * The opaque `next` of a list page: base64url of `n:<name>` or `r:<activity>:<name>`. Keyset, so
 * pages stay correct while streams are created and deleted between them.
 */
export function encodeListCursor(position: ListPosition, order: 'name' | 'recent'): string {
  const text = order === 'name' ? `n:${position.name}` : `r:${position.activity}:${position.name}`;
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** Decodes a `next`; throws LIVELOG_ERR_QUERY_BAD_PARAM for one this order did not make. */
export function decodeListCursor(cursor: string, order: 'name' | 'recent'): ListPosition {
  const bad = () => new LivelogError('LIVELOG_ERR_QUERY_BAD_PARAM', 'after is not a cursor of this list', { param: 'after' });
  if (cursor.length > 400 || !/^[A-Za-z0-9_-]*$/.test(cursor)) throw bad();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (order === 'name') {
    if (!text.startsWith('n:')) throw bad();
    return { name: text.slice(2), activity: 0 };
  }
  const match = /^r:(\d{1,16}):(.*)$/s.exec(text);
  if (match === null) throw bad();
  return { name: match[2] as string, activity: Number(match[1]) };
}

/** True when a stream with this name and these labels passes the query's prefix and label filters. */
export function matchesListQuery(name: string, labels: Readonly<Record<string, string>>, query: ListStreamsQuery): boolean {
  if (query.prefix !== undefined && !name.startsWith(query.prefix)) return false;
  if (query.labels !== undefined) {
    for (const [key, value] of Object.entries(query.labels)) if (!Object.hasOwn(labels, key) || labels[key] !== value) return false;
  }
  return true;
}
