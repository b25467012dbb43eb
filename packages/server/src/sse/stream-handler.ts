import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Broker, LivelogError } from '@livelog/core';
import { authorize } from '../auth/authorize.js';
import { createSiteGuard } from '../auth/site-guard.js';
import { TokenBook, type TokenSpec } from '../auth/tokens.js';
import { errorBody, toLivelogError } from '../errors.js';
import { parseFilter, parseStart, queryOf } from '../routes/query-params.js';
import { SSE_HEADERS } from './node-sse-sink.js';
import { serveStream } from './serve-stream.js';
import { streamRefusal } from './stream-refusal.js';

/** Options of a stream handler for a plain `node:http` server. */
export interface StreamHandlerOptions {
  /** Tokens; a request then needs one with the `read` scope. Defaults to none (no auth). */
  tokens?: readonly TokenSpec[];
  /** Most concurrent readers. Defaults to unlimited. */
  maxReaders?: number;
  /**
   * Without tokens, `Host` names answered besides localhost and IP addresses (`*`: any); requests from pages of
   * other origins are refused. Defaults to none. @see createSiteGuard
   */
  allowedHosts?: readonly string[];
}

/**
 * `GET /api/stream` for any `node:http` server: `(req, res) => void`. Reads the start position and
 * filters from the request exactly as the Fastify plugin does, and answers bad requests with the
 * same JSON errors.
 */
export function createStreamHandler(
  broker: Broker,
  options: StreamHandlerOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const book = new TokenBook(options.tokens ?? []);
  const guard = book.open ? createSiteGuard({ allowedHosts: options.allowedHosts ?? [] }) : undefined;
  return (request, response) => {
    const query = queryOf(request.url);
    try {
      guard?.(request.method ?? 'GET', request.headers);
      authorize(book, request.headers, query, 'read');
      if (options.maxReaders !== undefined && broker.stats.readers >= options.maxReaders) {
        throw new LivelogError('LIVELOG_ERR_STREAM_TOO_MANY_READERS', 'too many readers; retry later');
      }
      const header = request.headers['last-event-id'];
      const start = parseStart(query, typeof header === 'string' ? header : undefined);
      const filter = parseFilter(query);
      if (request.method === 'HEAD') {
        response.writeHead(200, SSE_HEADERS).end();
        return;
      }
      serveStream(broker, request, response, { start, filter }).catch(() => undefined);
    } catch (error) {
      const livelogError = toLivelogError(error);
      const refusal = streamRefusal(livelogError, request.headers, broker.retryMs);
      if (refusal !== undefined) {
        response.writeHead(200, refusal.headers).end(refusal.body);
        return;
      }
      response.writeHead(livelogError.statusCode, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(errorBody(livelogError)));
    }
  };
}
