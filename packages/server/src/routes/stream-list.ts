import type { ListStreamsQuery, StoredStreamInfo } from '@livelog/core';
import { MAX_STREAM_LABELS, STREAM_LABEL_KEY_PATTERN, type StreamList } from '@livelog/protocol';
import type { FastifyInstance } from 'fastify';
import type { Grant } from '../auth/tokens.js';
import { badParam } from '../errors.js';
import { parseIntParam, queryOf } from './query-params.js';
import type { RouteContext } from './route-context.js';
import { withReaders } from './streams.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** A name prefix holds name characters only; an empty one is no filter. */
const PREFIX = /^[a-z0-9._-]{0,128}$/;

/**
 * `GET /api/streams?prefix=&label=key:value&order=name|recent&limit=&after=`: one page of the streams
 * the token may read. A token limited to some streams never sees the others, not even through the
 * paging cursor: the page is filled from the streams it covers, and `next` points just after the last
 * stream shown.
 */
export function registerStreamList(app: FastifyInstance, context: RouteContext): void {
  app.get('/api/streams', { onRequest: context.requireScope('read') }, async (request): Promise<StreamList> => {
    const params = queryOf(request.url);
    const limit = parseIntParam(params, 'limit', 1, MAX_LIMIT, DEFAULT_LIMIT);
    const query: ListStreamsQuery = { limit };
    const prefix = params.get('prefix');
    if (prefix !== null && prefix !== '') {
      if (!PREFIX.test(prefix)) throw badParam('prefix', 'must be the start of a stream name: a-z 0-9 . _ -');
      query.prefix = prefix;
    }
    const labels = parseLabelParams(params.getAll('label'));
    if (labels !== undefined) query.labels = labels;
    const order = params.get('order');
    if (order !== null && order !== '') {
      if (order !== 'name' && order !== 'recent') throw badParam('order', 'must be name or recent');
      query.order = order;
    }
    const after = params.get('after');
    if (after !== null && after !== '') query.after = after;
    const grant = context.grantOf(request, 'read');
    const page = await listCovered(context, query, grant);
    const reply: StreamList = { streams: page.streams.map((info) => withReaders(context, info)) };
    if (page.next !== undefined) reply.next = page.next;
    return reply;
  });
}

/** `label=key:value` (or `key=value`), repeatable: streams carrying every one of them. */
export function parseLabelParams(values: readonly string[]): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  if (values.length > MAX_STREAM_LABELS) throw badParam('label', `at most ${MAX_STREAM_LABELS} labels`);
  const labels: Record<string, string> = {};
  for (const value of values) {
    // Keys hold neither ':' nor '=', so the first of them ends the key; the value may hold either.
    const split = value.search(/[:=]/);
    const key = split < 0 ? value : value.slice(0, split);
    if (split < 0 || !STREAM_LABEL_KEY_PATTERN.test(key)) throw badParam('label', 'must be key:value, with a key such as service or env');
    labels[key] = value.slice(split + 1);
  }
  return labels;
}

/**
 * One page of the streams `grant` covers. A token covering every stream gets the database's page as
 * is. Otherwise pages are read and filtered until `limit` covered streams are found; when the page
 * ends inside a database page, that page is read again up to the last stream shown, so that `next`
 * (opaque, but a database may well spell a name in it) never points at a stream the token may not see.
 */
async function listCovered(
  context: RouteContext,
  query: ListStreamsQuery,
  grant: Grant,
  tries = 3,
): Promise<{ streams: StoredStreamInfo[]; next?: string }> {
  const { database } = context.engine;
  if (grant.everyStream) return database.list(query);
  const found: StoredStreamInfo[] = [];
  let after = query.after;
  for (;;) {
    const request: ListStreamsQuery = { ...query, limit: query.limit };
    if (after !== undefined) request.after = after;
    else delete request.after;
    const page = await database.list(request);
    for (const [index, info] of page.streams.entries()) {
      if (!grant.covers(info.name)) continue;
      found.push(info);
      if (found.length < query.limit) continue;
      if (index === page.streams.length - 1) return page.next === undefined ? { streams: found } : { streams: found, next: page.next };
      // Read the same page again, cut just after this stream, for a cursor that names nothing beyond it.
      const cut = await database.list({ ...request, limit: index + 1 });
      // A write in between changes the page (order=recent moves the stream written to the front), and
      // the cut's cursor would then skip what moved: the listing is read again.
      const same = cut.streams.length === index + 1 && cut.streams.every((info, i) => info.name === page.streams[i]?.name);
      if (!same && tries > 1) return listCovered(context, query, grant, tries - 1);
      return cut.next === undefined ? { streams: found } : { streams: found, next: cut.next };
    }
    if (page.next === undefined) return { streams: found };
    after = page.next;
  }
}
