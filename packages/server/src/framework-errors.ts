import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { LivelogError } from '@livelog/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody, toLivelogError } from './errors.js';

/**
 * Fastify's `frameworkErrors`: the errors its router raises before any route, hook or error handler
 * of the plugin runs (a path that is not valid percent-encoding, `/api/streams/%zz/logs`). Without
 * it they are answered in Fastify's own shape, `{"error":"Bad Request","code":"FST_ERR_BAD_URL",…}`,
 * which no livelog client reads as an error body.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const failure =
    error.code === 'FST_ERR_BAD_URL'
      ? new LivelogError(
          'LIVELOG_ERR_BAD_REQUEST',
          `the path ${JSON.stringify(request.url.split('?', 1)[0])} is not valid percent-encoding`,
        )
      : toLivelogError(error);
  reply.code(failure.statusCode).type('application/json; charset=utf-8').send(errorBody(failure));
}

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refuses (a malformed request line or
 * header, headers over the size limit, a request not in within `requestTimeout`) never reaches
 * Fastify's routing; it is answered here, in livelog's error shape, and the connection closed, as
 * Node and Fastify do by default.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // A response already under way on this socket (an SSE stream, say) cannot take another status
  // line in the middle of its body: Node's own default closes the socket without one then.
  const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (current?.headersSent === true || !socket.writable) {
    socket.destroy(error);
    return;
  }
  const failure =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new LivelogError('LIVELOG_ERR_REQUEST_TIMEOUT', 'the request did not arrive in time')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? new LivelogError('LIVELOG_ERR_HEADERS_TOO_LARGE', 'the request line and headers are larger than the server reads')
        : new LivelogError('LIVELOG_ERR_BAD_REQUEST', 'the request is not valid HTTP/1.1');
  const body = JSON.stringify(errorBody(failure));
  socket.end(
    `HTTP/1.1 ${failure.statusCode} ${STATUS_CODES[failure.statusCode] ?? 'Error'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
