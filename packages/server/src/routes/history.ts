import {
  intersectRange,
  LivelogError,
  type LogStore,
  type ReadPage,
  type ReadQuery,
  readAround,
  resumeOf,
  retentionGap,
  seqRangeOfTime,
} from '@livelog/core';
import { DEFAULT_STREAM, formatId, type SourcesReply } from '@livelog/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badParam, sinceNotBeforeUntil } from '../errors.js';
import { parseCursorParam, parseFilter, parseIntParam, parseTimeParam, queryOf } from './query-params.js';
import type { RouteContext } from './route-context.js';
import { streamParam } from './stream-name.js';
import { readableStream } from './stream-stores.js';

const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 1000;
const DEFAULT_SOURCES_LIMIT = 1000;
const MAX_SOURCES_LIMIT = 10_000;
const DEFAULT_CONTEXT = 20;
const MAX_CONTEXT = 1000;

/**
 * `GET /api/logs` (history pages, always ascending) and `GET /api/sources`, for the stream `default`,
 * and the same under `/api/streams/{name}/` for any stream.
 */
export function registerHistory(app: FastifyInstance, context: RouteContext): void {
  const defaultRead = { onRequest: context.requireScope('read', DEFAULT_STREAM) };
  const streamRead = { onRequest: context.requireStream('read') };
  app.get('/api/logs', defaultRead, (request, reply) => historyPage(context, DEFAULT_STREAM, request, reply));
  app.get('/api/streams/:name/logs', streamRead, (request, reply) => historyPage(context, streamParam(request), request, reply));
  app.get('/api/sources', defaultRead, (request) => sourcesPage(context, DEFAULT_STREAM, request));
  app.get('/api/streams/:name/sources', streamRead, (request) => sourcesPage(context, streamParam(request), request));
}

async function historyPage(context: RouteContext, name: string, request: FastifyRequest, reply: FastifyReply): Promise<string> {
  const params = queryOf(request.url);
  const around = params.get('around');
  if (around !== null && around !== '') return contextPage(context, name, params, around, reply);
  const limit = parseIntParam(params, 'limit', 1, MAX_LIMIT, DEFAULT_LIMIT);
  const filter = parseFilter(params);
  const now = Date.now();
  const since = parseTimeParam(params, 'since', now);
  const until = parseTimeParam(params, 'until', now);
  // An empty or inverted range is a mistake in the request (`--since 10m --until 1h`), as histogram says.
  if (since !== undefined && until !== undefined && since >= until) throw sinceNotBeforeUntil();
  const after = params.get('after');
  const before = params.get('before');
  const from = params.get('from');
  if (from !== null && from !== '' && from !== 'start') throw badParam('from', 'must be "start"');
  const store = await readableStream(context.engine, name);
  const query: ReadQuery = { limit, filter };
  if (after !== null && after !== '') query.after = parseCursorParam('after', after, store.streamId, name).seq;
  if (before !== null && before !== '') query.before = parseCursorParam('before', before, store.streamId, name).seq;
  // `after` and `from=start` page forward from a position; `before` or nothing pages back from the newest.
  query.direction = query.after !== undefined || from === 'start' ? 'forward' : 'backward';
  if (since !== undefined || until !== undefined) {
    // Time bounds become seq bounds (one index seek each), so the read stays a bounded seq scan.
    const bounded = intersectRange(await seqRangeOfTime(store, since, until), query);
    if (bounded.after !== undefined) query.after = bounded.after;
    if (bounded.before !== undefined) query.before = bounded.before;
  }
  const page = await store.read(query);
  // A read that ran out of budget answers fewer entries (even none): `next` says where to go on.
  const resume = resumeOf(page, query.direction);
  const next = resume === undefined ? '' : `,"next":${JSON.stringify(formatId(store.streamId, resume))}`;
  const gap = after !== null && after !== '' && query.after !== undefined ? await gapAfter(store, query.after, page) : '';
  // The stored JSON is sent as is: a HistoryPage is assembled, never re-encoded.
  reply.type('application/json; charset=utf-8');
  return `{"entries":[${page.entries.map((entry) => entry.json).join(',')}],"hasMore":${page.hasMore}${next}${gap}}`;
}

/**
 * `,"gap":{…}` when retention removed entries just after the `after` cursor, else '': the page starts
 * at the oldest retained entry, and a reader must learn what it lost, as the stream's `gap` event
 * tells it. Bounds are read after the page, so the gap ends before the page's first entry even when
 * retention ran in between.
 */
async function gapAfter(store: LogStore, after: number, page: ReadPage): Promise<string> {
  const { first } = await store.bounds();
  const firstRead = page.entries[0]?.seq;
  const toSeq = Math.min(first - 1, firstRead === undefined ? first - 1 : firstRead - 1);
  if (toSeq <= after) return '';
  return `,"gap":${JSON.stringify(retentionGap((seq) => formatId(store.streamId, seq), after, toSeq))}`;
}

/**
 * `?around=<id>&before=N&after=N`: the entries around one, unfiltered (filters are ignored: context
 * is what surrounded a match), the anchor included.
 */
async function contextPage(
  context: RouteContext,
  name: string,
  params: URLSearchParams,
  around: string,
  reply: FastifyReply,
): Promise<string> {
  const before = parseIntParam(params, 'before', 0, MAX_CONTEXT, DEFAULT_CONTEXT);
  const after = parseIntParam(params, 'after', 0, MAX_CONTEXT, DEFAULT_CONTEXT);
  const store = await readableStream(context.engine, name);
  const anchor = parseCursorParam('around', around, store.streamId, name);
  const found = await readAround(store, anchor.seq, before, after);
  if (found === undefined) throw new LivelogError('LIVELOG_ERR_NO_ENTRY', `around: entry ${around} is not retained`, { param: 'around' });
  reply.type('application/json; charset=utf-8');
  const anchorId = JSON.stringify(formatId(store.streamId, anchor.seq));
  return `{"entries":[${found.entries.map((entry) => entry.json).join(',')}],"anchor":${anchorId},"hasBefore":${found.hasBefore},"hasAfter":${found.hasAfter}}`;
}

/** One page of sources in name order: `?after=<name>&limit=`; `next` names the last one when more exist. */
async function sourcesPage(context: RouteContext, name: string, request: FastifyRequest): Promise<SourcesReply> {
  const params = queryOf(request.url);
  const limit = parseIntParam(params, 'limit', 1, MAX_SOURCES_LIMIT, DEFAULT_SOURCES_LIMIT);
  const after = params.get('after');
  const store = await readableStream(context.engine, name);
  // One more than asked tells whether another page exists.
  const sources = await store.sources({ ...(after !== null && after !== '' ? { after } : {}), limit: limit + 1 });
  if (sources.length <= limit) return { sources };
  const page = sources.slice(0, limit);
  return { sources: page, next: (page[page.length - 1] as { name: string }).name };
}
