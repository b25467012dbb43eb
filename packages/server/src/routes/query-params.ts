import { checkSource, type EntryFilter, isLivelogError, LivelogError, parseLevelValue, type StartRequest } from '@livelog/core';
import {
  type Cursor,
  DEFAULT_STREAM,
  decodeCursor,
  isDurationTooFarBack,
  parseQuery,
  parseTimePoint,
  type QueryNode,
  QuerySyntaxError,
  splitSourceList,
} from '@livelog/protocol';
import { badParam } from '../errors.js';

const MAX_SOURCES = 100;
const MAX_TAIL = 10_000_000;
/** Query names polyfills use to send the cursor when they cannot set the header. */
const CURSOR_PARAMS = ['lastEventId', 'last_event_id', 'evs_last_event_id'];

/** The filter parameters shared by the stream and history: `level`, `source`, `q`. */
export function parseFilter(params: URLSearchParams): EntryFilter {
  const filter: EntryFilter = {};
  const level = params.get('level');
  if (level !== null && level !== '') {
    const parsed = parseLevelValue(level);
    if (parsed === undefined) throw badParam('level', 'must be trace, debug, info, warn, error or fatal');
    filter.level = parsed;
  }
  // `\,` keeps a comma inside a name: a source such as `a,b` must be selectable by itself.
  const sources = params.getAll('source').flatMap(splitSourceList);
  if (sources.length > MAX_SOURCES) throw badParam('source', `at most ${MAX_SOURCES} sources`);
  if (sources.length > 0) {
    for (const source of sources) {
      try {
        checkSource(source);
      } catch (error) {
        throw badParam('source', isLivelogError(error) ? error.message : String(error));
      }
    }
    filter.sources = [...new Set(sources)];
  }
  const q = params.get('q');
  if (q !== null && q.trim() !== '') filter.query = parseQueryParam(q);
  return filter;
}

/** The `q` parameter in the query language; a query it cannot read is LIVELOG_ERR_BAD_QUERY. */
export function parseQueryParam(q: string): QueryNode {
  try {
    return parseQuery(q);
  } catch (error) {
    if (error instanceof QuerySyntaxError)
      throw new LivelogError('LIVELOG_ERR_BAD_QUERY', `q: ${error.message}`, { param: 'q', cause: error });
    throw error;
  }
}

/**
 * The start position of a stream request: the Last-Event-ID header wins over the query's
 * `lastEventId` (its last cursor parameter), then `since`, `tail`, `from=start`. An unusable id is not an error here: the stream
 * answers it with a `reset` event, as a browser's EventSource cannot read error bodies.
 */
export function parseStart(params: URLSearchParams, lastEventIdHeader: string | undefined): StartRequest {
  const start: StartRequest = {};
  // The last one in the URL: polyfills append theirs (eventsource-polyfill adds `evs_last_event_id`
  // at every reconnect) to the URL the page gave, which may carry the page's own `?lastEventId=`.
  let fromQuery: string | undefined;
  for (const [name, value] of params) if (value !== '' && CURSOR_PARAMS.includes(name)) fromQuery = value;
  const lastEventId = lastEventIdHeader !== undefined && lastEventIdHeader !== '' ? lastEventIdHeader : fromQuery;
  if (lastEventId !== undefined && lastEventId !== null) start.lastEventId = lastEventId;
  const since = params.get('since');
  if (since !== null && since !== '') start.since = parseSince(since);
  const tail = params.get('tail');
  if (tail !== null && tail !== '') {
    if (tail === 'all') start.fromStart = true;
    else if (/^\d{1,8}$/.test(tail) && Number(tail) <= MAX_TAIL) start.tail = Number(tail);
    else throw badParam('tail', `must be a whole number from 0 to ${MAX_TAIL}, or "all"`);
  }
  const from = params.get('from');
  if (from !== null && from !== '') {
    if (from === 'start') start.fromStart = true;
    else if (from === 'end' || from === 'now') start.fromEnd = true;
    else throw badParam('from', 'must be "start" (or "end" for live only)');
  }
  return start;
}

/** `since`: epoch ms, an ISO 8601 date, or a duration back from now (`10m`, `1h30m`): see parseTimePoint. */
export function parseSince(text: string, now = Date.now()): number {
  return parseTimeValue('since', text, now);
}

/** A time parameter (`since`, `until`, `time`): epoch ms, ISO 8601 / RFC 3339, or a duration back from now. */
export function parseTimeValue(param: string, text: string, now = Date.now()): number {
  const time = parseTimePoint(text, now);
  if (time !== undefined) return time;
  if (isDurationTooFarBack(text, now)) {
    throw new LivelogError(
      'LIVELOG_ERR_QUERY_BAD_TIME',
      `${param}: ${text} back from now is before 1970-01-01, the earliest time livelog reads (from=start reads everything retained)`,
      { param },
    );
  }
  throw new LivelogError(
    'LIVELOG_ERR_QUERY_BAD_TIME',
    `${param}: must be epoch milliseconds, an ISO 8601 date, or a duration such as 10m or 1h30m`,
    { param },
  );
}

/** The time parameter `name`, or undefined when absent or empty. */
export function parseTimeParam(params: URLSearchParams, name: string, now = Date.now()): number | undefined {
  const value = params.get(name);
  return value === null || value === '' ? undefined : parseTimeValue(name, value, now);
}

/**
 * A position parameter of history (`after`, `before`, `around`): a cursor of this stream. An id of
 * another identity is a 409 that says how that happens to a stream of this name and what to do: the
 * same name's ids start over when it is deleted and written to again (or its data wiped).
 */
export function parseCursorParam(param: string, value: string, streamId: string, name = DEFAULT_STREAM): Cursor {
  const decoded = decodeCursor(value);
  if (!decoded.ok) {
    throw new LivelogError('LIVELOG_ERR_CURSOR_MALFORMED', `${param}: not a livelog id (expected <stream>:<seq>)`, { param });
  }
  if (decoded.cursor.stream !== streamId) {
    const what =
      name === DEFAULT_STREAM
        ? `the id ${value} is from an earlier log than the one this server holds now (its data was wiped), or from another server`
        : `the id ${value} is from an earlier stream named ${JSON.stringify(name)}, deleted and written to again since (or from another server)`;
    throw new LivelogError(
      'LIVELOG_ERR_CURSOR_FOREIGN',
      `${param}: ${what}; ids do not carry over to the new one (it is ${streamId}): read it from the start (from=start) or its newest page`,
      { param },
    );
  }
  return decoded.cursor;
}

/** A whole number within bounds, or the default when absent. */
export function parseIntParam(params: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const value = params.get(name);
  if (value === null || value === '') return fallback;
  if (!/^\d{1,16}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw badParam(name, `must be a whole number from ${min} to ${max}`);
  }
  return Number(value);
}

/**
 * The query of a request URL. A parameter of one value given twice with different values
 * (`limit=1&limit=500`, `q=a&q=b`) is a 400 naming it when read: taking the first silently answered
 * another question than the one asked. Repeating the same value is harmless; `source` and `label`
 * take several (read with `getAll`); the cursor parameters are left to the stream's `reset` rules,
 * as an EventSource polyfill appends its own to a URL that may carry one.
 */
export function queryOf(url: string | undefined): URLSearchParams {
  const index = url?.indexOf('?') ?? -1;
  return new SingleValueParams(index < 0 || url === undefined ? '' : url.slice(index + 1));
}

class SingleValueParams extends URLSearchParams {
  override get(name: string): string | null {
    const values = this.getAll(name);
    const first = values[0];
    if (first === undefined) return null;
    if (!CURSOR_PARAMS.includes(name) && values.some((value) => value !== first)) {
      throw badParam(name, 'is given more than once, with different values');
    }
    return first;
  }
}
