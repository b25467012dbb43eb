import type { IncomingHttpHeaders } from 'node:http';
import { LivelogError } from '@livelog/core';
import { allows, type Grant, OPEN_GRANT, type Scope, type TokenBook } from './tokens.js';

/**
 * Checks the token of a request for `scope`: `Authorization: Bearer <token>`, or `?token=` for
 * clients that cannot set headers (a browser's EventSource). Throws 401/403 LivelogErrors; resolves
 * to what the token grants, for checks that depend on the stream. With no token configured
 * everything is allowed: such a server only listens on loopback.
 */
export function authorize(book: TokenBook, headers: IncomingHttpHeaders, query: URLSearchParams, scope: Scope): Grant {
  if (book.open) return OPEN_GRANT;
  const header = headers.authorization;
  let token: string | undefined;
  if (typeof header === 'string' && header !== '') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match === null) throw new LivelogError('LIVELOG_ERR_AUTH_INVALID_TOKEN', 'Authorization must be "Bearer <token>"');
    token = match[1];
  } else {
    token = query.get('token') ?? undefined;
  }
  if (token === undefined || token === '') {
    throw new LivelogError(
      'LIVELOG_ERR_AUTH_MISSING_TOKEN',
      `this server needs a token with the ${scope} scope: send Authorization: Bearer <token>`,
    );
  }
  const grant = book.grantOf(token);
  if (grant === undefined) throw new LivelogError('LIVELOG_ERR_AUTH_INVALID_TOKEN', 'the token is not valid for this server');
  if (!allows(grant.scopes, scope)) throw new LivelogError('LIVELOG_ERR_AUTH_FORBIDDEN', `the token lacks the ${scope} scope`);
  return grant;
}

/**
 * Throws LIVELOG_ERR_AUTH_STREAM_FORBIDDEN when `grant` does not cover the stream `name`. The answer
 * is the same whether the stream exists or not, so a token cannot probe for names beyond its own.
 */
export function assertCovers(grant: Grant, name: string): void {
  if (!grant.covers(name)) {
    throw new LivelogError('LIVELOG_ERR_AUTH_STREAM_FORBIDDEN', `the token does not cover the stream "${name}"`);
  }
}
