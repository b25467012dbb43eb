import { type ReadQuery, resumeOf } from '@livelog/core';
import { formatId, type SourcesReply } from '@livelog/protocol';
import type { FastifyInstance } from 'fastify';
import { badParam } from '../errors.js';
import { parseCursorParam, parseFilter, parseIntParam, queryOf } from './query-params.js';
import type { RouteContext } from './route-context.js';

const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 1000;

/** `GET /api/logs` (history pages, always ascending) and `GET /api/sources`. */
export function registerHistory(app: FastifyInstance, context: RouteContext): void {
  app.get('/api/logs', { onRequest: context.requireScope('read') }, async (request, reply) => {
    const { store } = context.engine;
    const params = queryOf(request.url);
    const limit = parseIntParam(params, 'limit', 1, MAX_LIMIT, DEFAULT_LIMIT);
    const filter = parseFilter(params);
    const after = params.get('after');
    const before = params.get('before');
    const from = params.get('from');
    if (from !== null && from !== '' && from !== 'start') throw badParam('from', 'must be "start"');
    const query: ReadQuery = { limit, filter };
    if (after !== null && after !== '') query.after = parseCursorParam('after', after, store.streamId).seq;
    if (before !== null && before !== '') query.before = parseCursorParam('before', before, store.streamId).seq;
    // `after` and `from=start` page forward from a position; `before` or nothing pages back from the newest.
    query.direction = query.after !== undefined || from === 'start' ? 'forward' : 'backward';
    const page = await store.read(query);
    // A read that ran out of budget answers fewer entries (even none): `next` says where to go on.
    const resume = resumeOf(page, query.direction);
    const next = resume === undefined ? '' : `,"next":${JSON.stringify(formatId(store.streamId, resume))}`;
    // The stored JSON is sent as is: a HistoryPage is assembled, never re-encoded.
    reply.type('application/json; charset=utf-8');
    return `{"entries":[${page.entries.map((entry) => entry.json).join(',')}],"hasMore":${page.hasMore}${next}}`;
  });

  app.get('/api/sources', { onRequest: context.requireScope('read') }, async (): Promise<SourcesReply> => {
    return { sources: await context.engine.store.sources() };
  });
}
