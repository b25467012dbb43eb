import { isHealthChecked } from '@livelog/core';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './route-context.js';

/**
 * `/healthz`: the process answers. `/readyz`: it can take work now (store reachable, its disk taking
 * writes, not shutting down), else 503 with a `reason`. Neither needs a token, so container health
 * checks and load balancers can call them.
 */
export function registerHealth(app: FastifyInstance, context: RouteContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const { store } = context.engine;
    const storeReady = isHealthChecked(store) ? await store.isReady().catch(() => false) : true;
    const disk = await context.disk.check();
    const closing = context.closing();
    const ready = storeReady && disk.state === 'ok' && !closing;
    reply.code(ready ? 200 : 503);
    const reason = closing ? 'shutting down' : !storeReady ? 'the store is not reachable' : disk.reason;
    return {
      status: ready ? 'ready' : 'unavailable',
      store: storeReady ? 'ok' : 'unavailable',
      disk: disk.state,
      closing,
      ...(reason === undefined ? {} : { reason }),
    };
  });
}
