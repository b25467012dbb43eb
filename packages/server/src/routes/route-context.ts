import type { IngestLimits, LivelogEngine } from '@livelog/core';
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Grant, Scope, TokenBook } from '../auth/tokens.js';
import type { DiskHealth } from './disk-health.js';
import type { IngestBudget } from './ingest-budget.js';
import type { ServerMetrics } from './metrics.js';
import type { ReaderCount } from './reader-count.js';

/** What every route of the plugin shares. */
export interface RouteContext {
  engine: LivelogEngine;
  tokens: TokenBook;
  metrics: ServerMetrics;
  bodyLimit: number;
  /** Whether the store's disk takes writes (`/readyz`). */
  disk: DiskHealth;
  /** Ingest bytes held at once across requests. */
  ingestBudget: IngestBudget;
  ingest: IngestLimits;
  maxReaders: number;
  /** SSE readers connected now, across every stream (`--max-readers` bounds them all). */
  readers: ReaderCount;
  /**
   * A hook that checks the request's token for `scope`; with `stream`, also that the token covers
   * that stream (the unnamed routes pass `default`).
   */
  requireScope(scope: Scope, stream?: string): onRequestHookHandler;
  /**
   * A hook for `/api/streams/{name}/…` routes: the token's `scope`, then the name (400 when it is
   * none), then that the token covers the stream (403, whether it exists or not).
   */
  requireStream(scope: Scope): onRequestHookHandler;
  /** What the request's token grants, once it holds `scope` (throws 401/403 otherwise). */
  grantOf(request: FastifyRequest, scope: Scope): Grant;
  /** True once shutdown began: new work is refused with 503 so clients go elsewhere. */
  closing(): boolean;
}
