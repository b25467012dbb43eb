import type { FastifyInstance } from 'fastify';

/** The methods a route of this API can have; HEAD comes with every GET (Fastify's `exposeHeadRoutes`). */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

/**
 * The methods the router answers for `url`, when it answers `method` with none: the value of the
 * `Allow` header of a 405 (RFC 9110 §15.5.6). Undefined when the path is no route at all (a 404), or
 * when `method` does have a route there (a handler that called `callNotFound` meant a real 404).
 *
 * `OPTIONS` alone does not make a path known: with CORS on, `OPTIONS /*` matches every path. It is
 * listed once another method is found.
 */
export function allowedMethods(app: FastifyInstance, method: string, url: string): string[] | undefined {
  // The typings say a route is always found; at run time a miss is null.
  const has = (candidate: string) => (app.findRoute({ method: candidate, url }) as unknown) !== null;
  if (has(method)) return undefined;
  const allowed: string[] = METHODS.filter(has);
  if (allowed.length === 0) return undefined;
  if (has('OPTIONS')) allowed.push('OPTIONS');
  return allowed;
}
