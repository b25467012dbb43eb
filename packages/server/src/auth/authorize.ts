import type { IncomingHttpHeaders } from 'node:http';
import { LivelogError } from '@livelog/core';
import { allows, type Scope, type TokenBook } from './tokens.js';

/**
 * Checks the token of a request for `scope`: `Authorization: Bearer <token>`, or `?token=` for
 * clients that cannot set headers (a browser's EventSource). Throws 401/403 LivelogErrors. With no
 * token configured everything is allowed: such a server only listens on loopback.
 */
export function authorize(book: TokenBook, headers: IncomingHttpHeaders, query: URLSearchParams, scope: Scope): void {
  if (book.open) return;
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
  const scopes = book.scopesOf(token);
  if (scopes === undefined) throw new LivelogError('LIVELOG_ERR_AUTH_INVALID_TOKEN', 'the token is not valid for this server');
  if (!allows(scopes, scope)) throw new LivelogError('LIVELOG_ERR_AUTH_FORBIDDEN', `the token lacks the ${scope} scope`);
}
