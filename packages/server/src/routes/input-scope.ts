import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './route-context.js';

/**
 * Registers the routes of one input (OTLP, Loki push) in an encapsulated scope of their own, so
 * that their body handling and error answers stay theirs. Bodies are taken raw and bounded by the
 * body limit: decoding is the input's, so every malformed body gets a livelog error code.
 */
export function registerInputScope(app: FastifyInstance, context: RouteContext, routes: (scope: FastifyInstance) => void): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: context.bodyLimit }, (_request, body, done) => {
      done(null, body);
    });
    routes(scope);
  });
}

/** The raw body of a request taken by an input scope. */
export function rawBody(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}
