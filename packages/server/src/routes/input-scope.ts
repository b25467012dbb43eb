import type { FastifyInstance } from 'fastify';
import { type AppendTarget, appendEntryGroups } from '../inputs/append-entry-groups.js';
import type { EntryGroup } from '../inputs/entry-group.js';
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

/**
 * Appends the groups of one input request like native ingest does: `/readyz` learns of a disk that
 * failed the commit, and of one that took it. Resolves to the entries stored.
 */
export async function appendGroupsDurably(context: RouteContext, target: AppendTarget, groups: readonly EntryGroup[]): Promise<number> {
  let stored: number;
  try {
    stored = await appendEntryGroups(target, groups);
  } catch (error) {
    context.disk.failed(error);
    throw error;
  }
  context.disk.committed();
  return stored;
}
