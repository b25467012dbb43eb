import type Database from 'better-sqlite3';
import type { ListStreamsPage, ListStreamsQuery } from './log-database.js';
import { listByRecency, type RecentItem, type RecentSource } from './recent-list.js';
import { infoOfRow, type StreamRow } from './sqlite-stream.js';
import { decodeListCursor, encodeListCursor } from './stream-list.js';

type Statement = (sql: string) => Database.Statement;

/**
 * One page of the `streams` table, by name or by recent activity, with keyset paging (through the
 * primary name index or `streams_recent`), a name prefix and label equality filters.
 */
export async function listStreams(statement: Statement, query: ListStreamsQuery): Promise<ListStreamsPage> {
  if (query.order === 'recent') return listByRecency(recentSource(statement, query), query);
  const { where, params } = filters(query);
  if (query.after !== undefined) {
    where.push('name > ?');
    params.push(decodeListCursor(query.after, 'name').name);
  }
  const rows = select(statement, where, params, 'name', query.limit + 1);
  const page = rows.slice(0, query.limit);
  const streams = page.map(infoOfRow);
  const last = page[page.length - 1];
  if (rows.length <= query.limit || last === undefined) return { streams };
  return { streams, next: encodeListCursor({ name: last.name, activity: last.last_activity }, 'name') };
}

/**
 * `order=recent` through `streams_recent`: activity descending, equal ones in name order. The writer
 * makes `last_activity` rise strictly from commit to commit (nextActivity), so the bound holds.
 */
function recentSource(statement: Statement, query: ListStreamsQuery): RecentSource {
  const items = (rows: StreamRow[]): RecentItem[] => rows.map((row) => ({ info: infoOfRow(row), activity: row.last_activity }));
  return {
    async bound() {
      const row = statement('SELECT COALESCE(MAX(last_activity), 0) AS top FROM streams').get() as { top: number };
      return row.top;
    },
    async byRecency(after: { activity: number; name: string } | undefined, bound: number | undefined, count: number) {
      const { where, params } = filters(query);
      if (bound !== undefined) {
        where.push('last_activity <= ?');
        params.push(bound);
      }
      if (after !== undefined) {
        where.push('(last_activity < ? OR (last_activity = ? AND name > ?))');
        params.push(after.activity, after.activity, after.name);
      }
      return items(select(statement, where, params, 'last_activity DESC, name', count));
    },
    async movedByName(bound: number, afterName: string | undefined, count: number) {
      const { where, params } = filters(query);
      where.push('last_activity > ?');
      params.push(bound);
      if (afterName !== undefined) {
        where.push('name > ?');
        params.push(afterName);
      }
      return items(select(statement, where, params, 'name', count));
    },
  };
}

/** The prefix and label conditions of a query. */
function filters(query: ListStreamsQuery): { where: string[]; params: (string | number)[] } {
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
  return { where, params };
}

function select(statement: Statement, where: string[], params: (string | number)[], order: string, limit: number): StreamRow[] {
  const sql = `SELECT * FROM streams ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ?`;
  return statement(sql).all(...params, limit) as StreamRow[];
}
