import { LivelogError } from '@livelog/core';
import { DEFAULT_STREAM } from '@livelog/protocol';
import type { FastifyInstance } from 'fastify';
import { decodeContentEncoding } from '../inputs/decode-content-encoding.js';
import { countInputLines } from '../inputs/input-metrics.js';
import { decodeLokiPush, lokiEncodingOf } from '../inputs/loki/loki-codec.js';
import { type LokiStream, readLokiStreams } from '../inputs/loki/loki-streams.js';
import { type LokiMapResult, mapLokiPush } from '../inputs/loki/map-loki-push.js';
import { chargeIngestBody } from './ingest-budget.js';
import { appendGroupsDurably, rawBody, registerInputScope } from './input-scope.js';
import type { RouteContext } from './route-context.js';

/** How the Loki push route maps streams. */
export interface LokiRouteOptions {
  /** Labels looked at, in order, for `source`. Defaults to DEFAULT_LOKI_SOURCE_LABELS. */
  sourceLabels?: readonly string[];
  /**
   * A label whose value names the livelog stream of each Loki stream (`job` → stream `ci-build`, see
   * `streamNameOf`); Loki streams without it go to `default`. Defaults to none: everything to `default`.
   */
  streamLabel?: string;
}

/**
 * `POST /loki/api/v1/push`: the Loki push API as Promtail, Grafana Alloy, Vector, Fluent Bit and the
 * Loki logging libraries send it (snappy-compressed protobuf, or JSON, optionally gzip). Answers
 * 204 once the whole push is durable; a push is all or nothing, and errors are livelog's coded
 * JSON errors (Loki clients log the body of a failed push as text).
 * @see https://grafana.com/docs/loki/latest/reference/loki-http-api/#ingest-logs
 */
export function registerLokiPush(app: FastifyInstance, context: RouteContext, options: LokiRouteOptions = {}): void {
  registerInputScope(app, context, (scope) => {
    const route = {
      bodyLimit: context.bodyLimit,
      // Which streams a push writes is known only once it is decoded: the streams are checked then.
      onRequest: context.requireScope('ingest'),
      preParsing: chargeIngestBody(context.ingestBudget, context.bodyLimit),
    };
    scope.post('/loki/api/v1/push', route, async (request, reply) => {
      if (context.closing()) throw new LivelogError('LIVELOG_ERR_SHUTTING_DOWN', 'the server is shutting down; retry shortly');
      const contentType = request.headers['content-type'];
      const encoding = lokiEncodingOf(contentType);
      if (encoding === undefined) {
        throw new LivelogError(
          'LIVELOG_ERR_INGEST_UNSUPPORTED_TYPE',
          `Content-Type ${contentType === undefined ? 'is missing' : JSON.stringify(contentType)}; the Loki push API takes application/x-protobuf (snappy) or application/json`,
        );
      }
      const raw = rawBody(request.body);
      // Loki senders mark the snappy block of a protobuf push with `Content-Encoding: snappy` or not at all.
      const body = await decodeContentEncoding(
        raw,
        request.headers['content-encoding'],
        context.bodyLimit,
        encoding === 'protobuf' ? ['snappy'] : [],
      );
      const decoded = decodeLokiPush(body, encoding, context.bodyLimit);
      const streams = readLokiStreams(decoded.push, encoding);
      let result: LokiMapResult | undefined;
      let stored = 0;
      try {
        result = mapLokiPush(streams, {
          ...(options.sourceLabels ? { sourceLabels: options.sourceLabels } : {}),
          ...(options.streamLabel ? { streamLabel: options.streamLabel } : {}),
          limits: context.ingest,
          replaced: decoded.replaced,
        });
        if (result.groups.length > 0) {
          const target = { database: context.engine.database, stream: DEFAULT_STREAM, grant: context.grantOf(request, 'ingest') };
          stored = await appendGroupsDurably(context, target, result.groups);
        }
      } catch (error) {
        countInputLines(context.metrics.registry, 'loki', 'rejected', countLines(streams));
        throw error;
      }
      countInputLines(context.metrics.registry, 'loki', 'accepted', result.lines);
      context.metrics.ingested(stored, raw.length);
      return reply.code(204).send();
    });
  });
}

function countLines(streams: readonly LokiStream[]): number {
  return streams.reduce((sum, stream) => sum + stream.entries.length, 0);
}
