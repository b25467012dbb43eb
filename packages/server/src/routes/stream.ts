import type { OutgoingHttpHeaders } from 'node:http';
import { LivelogError } from '@livelog/core';
import type { FastifyInstance } from 'fastify';
import { SSE_HEADERS } from '../sse/node-sse-sink.js';
import { serveStream } from '../sse/serve-stream.js';
import { parseFilter, parseStart, queryOf } from './query-params.js';
import type { RouteContext } from './route-context.js';

/** `GET /api/stream`: the SSE stream. Parameters are checked before the response is taken over. */
export function registerStream(app: FastifyInstance, context: RouteContext): void {
  app.get('/api/stream', { onRequest: context.requireScope('read') }, async (request, reply) => {
    if (context.closing()) throw new LivelogError('LIVELOG_ERR_SHUTTING_DOWN', 'the server is shutting down; reconnect shortly');
    const { broker } = context.engine;
    if (broker.stats.readers >= context.maxReaders) {
      throw new LivelogError(
        'LIVELOG_ERR_STREAM_TOO_MANY_READERS',
        `this server serves at most ${context.maxReaders} streams; retry later`,
      );
    }
    const query = queryOf(request.url);
    const header = request.headers['last-event-id'];
    const start = parseStart(query, typeof header === 'string' ? header : undefined);
    const filter = parseFilter(query);
    // HEAD gets the headers a GET would, and ends: a stream that never ends would hold a reader slot.
    if (request.method === 'HEAD') return reply.code(200).headers(SSE_HEADERS).send();
    // Headers set by hooks (CORS, the app's own) must survive the hijack below.
    const headers = reply.getHeaders() as OutgoingHttpHeaders;
    // From here the response is a raw SSE stream that outlives this handler.
    reply.hijack();
    await serveStream(broker, request.raw, reply.raw, { start, filter }, headers).catch((error: unknown) => {
      request.log.warn({ err: error }, 'stream ended by a store error');
    });
  });
}
