import type { OutgoingHttpHeaders } from 'node:http';
import { type BrokerLease, LivelogError } from '@livelog/core';
import { DEFAULT_STREAM } from '@livelog/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sinceNotBeforeUntil } from '../errors.js';
import { SSE_HEADERS } from '../sse/node-sse-sink.js';
import { serveStream } from '../sse/serve-stream.js';
import { parseFilter, parseStart, parseTimeParam, queryOf } from './query-params.js';
import type { RouteContext } from './route-context.js';
import { streamParam } from './stream-name.js';
import { readableStream } from './stream-stores.js';

/**
 * `GET /api/stream` (the stream `default`) and `GET /api/streams/{name}/stream`: the SSE stream.
 * Parameters are checked, and an unknown stream answered 404, before the response is taken over.
 */
export function registerStream(app: FastifyInstance, context: RouteContext): void {
  // eventStream: the plugin's error handler answers retryable refusals of these routes as streams.
  const config = { eventStream: true };
  app.get('/api/stream', { onRequest: context.requireScope('read', DEFAULT_STREAM), config }, (request, reply) =>
    streamFrom(context, DEFAULT_STREAM, request, reply),
  );
  app.get('/api/streams/:name/stream', { onRequest: context.requireStream('read'), config }, (request, reply) =>
    streamFrom(context, streamParam(request), request, reply),
  );
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route serves an SSE stream: a retryable refusal is answered as one (see streamRefusal). */
    eventStream?: boolean;
  }
}

async function streamFrom(context: RouteContext, name: string, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  if (context.closing()) throw new LivelogError('LIVELOG_ERR_SHUTTING_DOWN', 'the server is shutting down; reconnect shortly');
  const query = queryOf(request.url);
  const header = request.headers['last-event-id'];
  const start = parseStart(query, typeof header === 'string' ? header : undefined);
  const filter = parseFilter(query);
  const until = parseTimeParam(query, 'until');
  if (start.since !== undefined && until !== undefined && start.since >= until) throw sinceNotBeforeUntil();
  // An unknown stream is a 404 while an answer can still carry a status; `default` always exists.
  await readableStream(context.engine, name);
  // HEAD gets the headers a GET would, and ends: a stream that never ends would hold a reader slot.
  if (request.method === 'HEAD') return reply.code(200).headers(SSE_HEADERS).send();
  const slot = context.readers.take();
  let lease: BrokerLease;
  try {
    lease = await context.engine.acquireBroker(name);
  } catch (error) {
    slot.release();
    throw error;
  }
  slot.attach(lease.broker);
  const release = (): void => {
    slot.release();
    lease.release();
  };
  // Headers set by hooks (CORS, the app's own) must survive the hijack below.
  const headers = reply.getHeaders() as OutgoingHttpHeaders;
  // From here the response is a raw SSE stream that outlives this handler.
  reply.hijack();
  await serveStream(
    lease.broker,
    request.raw,
    reply.raw,
    { start, filter, ...(until === undefined ? {} : { until }) },
    headers,
    release,
  ).catch((error: unknown) => {
    request.log.warn({ err: error, stream: name }, 'stream ended by a store error');
  });
  return reply;
}
