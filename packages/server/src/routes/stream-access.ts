import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { assertCovers, authorize } from '../auth/authorize.js';
import type { Grant, Scope, TokenBook } from '../auth/tokens.js';
import { queryOf } from './query-params.js';
import type { RouteContext } from './route-context.js';
import { streamParam } from './stream-name.js';

/** The token checks of RouteContext over one TokenBook. */
export function createStreamAccess(tokens: TokenBook): Pick<RouteContext, 'requireScope' | 'requireStream' | 'grantOf'> {
  const grantOf = (request: FastifyRequest, scope: Scope): Grant => authorize(tokens, request.headers, queryOf(request.url), scope);
  return {
    grantOf,
    requireScope:
      (scope: Scope, stream?: string): onRequestHookHandler =>
      async (request) => {
        const grant = grantOf(request, scope);
        if (stream !== undefined) assertCovers(grant, stream);
      },
    requireStream:
      (scope: Scope): onRequestHookHandler =>
      async (request) => {
        // Token before name: an unauthenticated caller learns nothing, not even which names are valid.
        const grant = grantOf(request, scope);
        assertCovers(grant, streamParam(request));
      },
  };
}
