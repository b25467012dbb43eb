import type Database from 'better-sqlite3';
import type { ListStreamsPage, ListStreamsQuery } from './log-database.js';
import { infoOfRow, type StreamRow } from './sqlite-stream.js';
import { decodeListCursor, encodeListCursor } from './stream-list.js';

/**
 * One page of the `streams` table, by name or by recent activity, with keyset paging (through the
 * primary name index or `streams_recent`), a name prefix and label equality filters.
 */
export async function listStreams(statement: (sql: string) => Database.Statement, query: ListStreamsQuery): Promise<ListStreamsPage> {
  const order = query.order ?? 'name';
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (query.prefix !== undefined && query.prefix !== '') {
    // Names hold [a-z0-9._-] only, all below '~': [prefix, prefix + '~') is exactly the names starting with it.
    where.push('name >= ? AND name < ?');
    params.push(query.prefix, `${query.prefix}~`);
  }
  for (const [key, value] of Object.entries(query.labels ?? {})) {
    // Keys are validated label keys (no quote); the path is bound as a parameter all the same.
    where.push('json_extract(labels, ?) = ?');
    params.push(`$."${key.replaceAll('"', '')}"`, value);
  }
  if (query.after !== undefined) {
    const after = decodeListCursor(query.after, order);
    if (order === 'name') {
      where.push('name > ?');
      params.push(after.name);
    } else {
      where.push('(last_activity < ? OR (last_activity = ? AND name > ?))');
      params.push(after.activity, after.activity, after.name);
    }
  }
  const sql = `SELECT * FROM streams ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${
    order === 'name' ? 'name' : 'last_activity DESC, name'
  } LIMIT ?`;
  const rows = statement(sql).all(...params, query.limit + 1) as StreamRow[];
  const page = rows.slice(0, query.limit);
  const streams = page.map(infoOfRow);
  const last = page[page.length - 1];
  if (rows.length <= query.limit || last === undefined) return { streams };
  return { streams, next: encodeListCursor({ name: last.name, activity: last.last_activity }, order) };
}
