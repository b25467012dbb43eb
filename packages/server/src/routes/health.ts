import { isHealthChecked } from '@livelog/core';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './route-context.js';

/**
 * `/healthz`: the process answers. `/readyz`: it can take work now (store reachable, not shutting
 * down). Neither needs a token, so container health checks and load balancers can call them.
 */
export function registerHealth(app: FastifyInstance, context: RouteContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const { store } = context.engine;
    const storeReady = isHealthChecked(store) ? await store.isReady().catch(() => false) : true;
    const ready = storeReady && !context.closing();
    reply.code(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'unavailable', store: storeReady ? 'ok' : 'unavailable', closing: context.closing() };
  });
}
