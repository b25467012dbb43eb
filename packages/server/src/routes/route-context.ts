import type { IngestLimits, LivelogEngine } from '@livelog/core';
import type { onRequestHookHandler } from 'fastify';
import type { Scope, TokenBook } from '../auth/tokens.js';
import type { DiskHealth } from './disk-health.js';
import type { IngestBudget } from './ingest-budget.js';
import type { ServerMetrics } from './metrics.js';

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
  /** A hook that checks the request's token for `scope`. */
  requireScope(scope: Scope): onRequestHookHandler;
  /** True once shutdown began: new work is refused with 503 so clients go elsewhere. */
  closing(): boolean;
}
