import type { FastifyInstance } from 'fastify';

/** Request headers a browser client of another origin may send. */
const ALLOWED_HEADERS = 'authorization, content-type, last-event-id, idempotency-key';

/** Whether an `Origin` header names one of the configured CORS origins (`*`: any). */
export function corsAllows(origins: readonly string[]): (origin: string | undefined) => boolean {
  const any = origins.includes('*');
  const allowed = new Set(origins.map((origin) => origin.replace(/\/+$/, '').toLowerCase()));
  return (origin) => origin !== undefined && (any || allowed.has(origin.toLowerCase()));
}

/**
 * CORS for browser clients served from other origins (a dashboard embedding the console). Off unless
 * origins are configured; `*` allows any origin. Tokens travel in the Authorization header, never in
 * cookies, so credentials mode is not needed.
 */
export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const any = origins.includes('*');
  const allow = corsAllows(origins);
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (!allow(origin)) return;
    reply.header('access-control-allow-origin', any ? '*' : origin);
    if (!any) reply.header('vary', 'Origin');
    reply.header('access-control-expose-headers', 'idempotent-replayed, retry-after, www-authenticate');
  });
  app.options('/*', async (request, reply) => {
    if (!allow(request.headers.origin)) return reply.code(204).send();
    reply
      .header('access-control-allow-methods', 'GET, HEAD, POST, PUT, DELETE, OPTIONS')
      .header('access-control-allow-headers', ALLOWED_HEADERS)
      .header('access-control-max-age', '600')
      .code(204);
    return reply.send();
  });
}
