import type { LivelogEngine } from '@livelog/core';
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { RouteContext } from './route-context.js';

/** Prometheus metrics of one livelog plugin instance, in a registry of its own. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly #entries: Counter;
  readonly #bytes: Counter;
  readonly #rejected: Counter<'code'>;

  constructor(engine: LivelogEngine, options: { processMetrics: boolean; ingestHeld?: () => number }) {
    const registry = this.registry;
    // The process and Node metrics keep their standard names (process_cpu_seconds_total,
    // nodejs_eventloop_lag_seconds, …) so stock dashboards and alerts work; only livelog's own are prefixed.
    if (options.processMetrics) collectDefaultMetrics({ register: registry });
    this.#entries = new Counter({ name: 'livelog_ingest_entries_total', help: 'Entries stored by ingest.', registers: [registry] });
    this.#bytes = new Counter({ name: 'livelog_ingest_bytes_total', help: 'Request body bytes ingested.', registers: [registry] });
    this.#rejected = new Counter({
      name: 'livelog_requests_rejected_total',
      help: 'Requests answered with an error, by error code.',
      labelNames: ['code'],
      registers: [registry],
    });
    const { broker, store } = engine;
    const gauge = (name: string, help: string, read: () => number | Promise<number>): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          this.set(await read());
        },
      });
    };
    const counter = (name: string, help: string, read: () => number): void => {
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          // The broker keeps the running totals; the counter mirrors them at scrape time.
          this.reset();
          this.inc(read());
        },
      });
    };
    const ingestHeld = options.ingestHeld;
    if (ingestHeld !== undefined) {
      gauge(
        'livelog_ingest_bytes_held',
        'Ingest body bytes held now by requests being received, parsed or committed (see --ingest-buffer).',
        ingestHeld,
      );
    }
    gauge('livelog_stream_readers', 'SSE readers connected now.', () => broker.stats.readers);
    counter('livelog_stream_connects_total', 'SSE readers ever connected.', () => broker.stats.connects);
    counter('livelog_stream_delivered_entries_total', 'Entries written to SSE readers.', () => broker.stats.delivered);
    counter('livelog_stream_gaps_total', 'Gap events sent (a reader asked for entries retention removed).', () => broker.stats.gaps);
    counter('livelog_stream_missed_entries_total', 'Entries reported missing in gap events.', () => broker.stats.missed);
    counter('livelog_stream_stalled_total', 'Readers disconnected because their socket stayed full.', () => broker.stats.stalled);
    counter('livelog_stream_resets_total', 'Reset events sent (malformed, foreign or future ids).', () => {
      const { malformed, foreign, future } = broker.stats.resets;
      return malformed + foreign + future;
    });
    gauge('livelog_store_last_seq', 'Newest seq in the store.', async () => (await store.bounds()).last);
    gauge('livelog_store_first_seq', 'Oldest retained seq in the store.', async () => (await store.bounds()).first);
  }

  ingested(entries: number, bytes: number): void {
    this.#entries.inc(entries);
    this.#bytes.inc(bytes);
  }

  rejected(code: string): void {
    this.#rejected.inc({ code });
  }
}

/** `GET /metrics` in Prometheus text format; needs the admin scope when tokens are configured. */
export function registerMetrics(app: FastifyInstance, context: RouteContext): void {
  app.get('/metrics', { onRequest: context.requireScope('admin') }, async (_request, reply) => {
    reply.type(context.metrics.registry.contentType);
    return context.metrics.registry.metrics();
  });
}
