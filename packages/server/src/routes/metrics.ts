import type { LivelogEngine, LogDatabase } from '@livelog/core';
import { DEFAULT_STREAM } from '@livelog/protocol';
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { RouteContext } from './route-context.js';

/** Prometheus metrics of one livelog plugin instance, in a registry of its own. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly #entries: Counter;
  readonly #bytes: Counter;
  readonly #rejected: Counter<'code'>;

  constructor(engine: LivelogEngine, options: { processMetrics: boolean; ingestHeld?: () => number; readers?: () => number }) {
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
    // The stream `default` as it is now: a handle taken once would be the deleted one after
    // `DELETE /api/streams/default`, and every scrape would fail with STREAM_NOT_FOUND.
    const defaultBounds = async (): Promise<{ first: number; last: number }> => (await engine.database.openStream(DEFAULT_STREAM)).bounds();
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
          // The engine keeps the running totals over every stream; the counter mirrors them at scrape time.
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
    const readers = options.readers;
    gauge('livelog_stream_readers', 'SSE readers connected now, across every stream.', () => readers?.() ?? engine.stats().readers);
    gauge('livelog_stream_brokers', 'Stream brokers alive now: streams being read, or read a moment ago.', () => engine.brokers);
    const counts = new StreamCounts(engine.database);
    // One series per state, never per stream name: the label set stays bounded however many streams exist.
    new Gauge({
      name: 'livelog_streams',
      help: `Streams by state (counted at most every ${STREAM_COUNT_TTL_MS / 1000} s).`,
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const { open, ended } = await counts.get();
        this.set({ state: 'open' }, open);
        this.set({ state: 'ended' }, ended);
      },
    });
    counter('livelog_stream_connects_total', 'SSE readers ever connected.', () => engine.stats().connects);
    counter('livelog_stream_delivered_entries_total', 'Entries written to SSE readers.', () => engine.stats().delivered);
    counter('livelog_stream_gaps_total', 'Gap events sent (a reader asked for entries retention removed).', () => engine.stats().gaps);
    counter('livelog_stream_missed_entries_total', 'Entries reported missing in gap events.', () => engine.stats().missed);
    counter('livelog_stream_stalled_total', 'Readers disconnected because their socket stayed full.', () => engine.stats().stalled);
    counter('livelog_stream_resets_total', 'Reset events sent (malformed, foreign or future ids).', () => {
      return Object.values(engine.stats().resets).reduce((sum, count) => sum + count, 0);
    });
    // Readers behind the hot ring read history in pages shared through one cache (see PageCache in core).
    counter(
      'livelog_catchup_page_reads_total',
      'Store reads of catch-up pages, by the page cache (a run of pages read at once for a reader far behind counts once) or by readers that bypass it (filters, no cache).',
      () => engine.pageStats().reads,
    );
    counter(
      'livelog_catchup_page_shares_total',
      'Catch-up pages served without a store read: from the page cache, or by joining a read in flight.',
      () => engine.pageStats().shares,
    );
    counter(
      'livelog_catchup_page_evictions_total',
      'Catch-up pages dropped from the page cache to stay within its bytes.',
      () => engine.pageStats().evictions,
    );
    gauge('livelog_catchup_cache_bytes', 'Bytes held by the catch-up page cache now.', () => engine.pageStats().bytes);
    gauge('livelog_store_last_seq', 'Newest seq in the store.', async () => (await defaultBounds()).last);
    gauge('livelog_store_first_seq', 'Oldest retained seq in the store.', async () => (await defaultBounds()).first);
  }

  ingested(entries: number, bytes: number): void {
    this.#entries.inc(entries);
    this.#bytes.inc(bytes);
  }

  rejected(code: string): void {
    this.#rejected.inc({ code });
  }
}

/** How long a count of streams by state is reused: counting pages through every stream. */
const STREAM_COUNT_TTL_MS = 15_000;
const COUNT_PAGE = 1000;

/** Streams by state, counted by paging through the list, and cached between scrapes. */
class StreamCounts {
  readonly #database: LogDatabase;
  #cached: { at: number; value: Promise<{ open: number; ended: number }> } | undefined;

  constructor(database: LogDatabase) {
    this.#database = database;
  }

  get(now = Date.now()): Promise<{ open: number; ended: number }> {
    if (this.#cached === undefined || now - this.#cached.at > STREAM_COUNT_TTL_MS) {
      const value = this.#count();
      // A failed count is not kept: the next scrape tries again.
      value.catch(() => {
        if (this.#cached?.value === value) this.#cached = undefined;
      });
      this.#cached = { at: now, value };
    }
    return this.#cached.value;
  }

  async #count(): Promise<{ open: number; ended: number }> {
    let open = 0;
    let ended = 0;
    let after: string | undefined;
    do {
      const page = await this.#database.list({ limit: COUNT_PAGE, ...(after === undefined ? {} : { after }) });
      for (const stream of page.streams) {
        if (stream.state === 'ended') ended++;
        else open++;
      }
      after = page.next;
    } while (after !== undefined);
    return { open, ended };
  }
}

/** `GET /metrics` in Prometheus text format; needs the admin scope when tokens are configured. */
export function registerMetrics(app: FastifyInstance, context: RouteContext): void {
  app.get('/metrics', { onRequest: context.requireScope('admin') }, async (_request, reply) => {
    reply.type(context.metrics.registry.contentType);
    return context.metrics.registry.metrics();
  });
}
