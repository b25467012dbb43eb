import { LivelogError } from '@livelog/core';
import type { FastifyInstance } from 'fastify';
import { appendEntryGroups } from '../inputs/append-entry-groups.js';
import { decodeContentEncoding } from '../inputs/decode-content-encoding.js';
import { countInputLines } from '../inputs/input-metrics.js';
import { decodeLokiPush, lokiEncodingOf } from '../inputs/loki/loki-codec.js';
import { type LokiStream, readLokiStreams } from '../inputs/loki/loki-streams.js';
import { type LokiMapResult, mapLokiPush } from '../inputs/loki/map-loki-push.js';
import { rawBody, registerInputScope } from './input-scope.js';
import type { RouteContext } from './route-context.js';

/** How the Loki push route maps streams. */
export interface LokiRouteOptions {
  /** Labels looked at, in order, for `source`. Defaults to DEFAULT_LOKI_SOURCE_LABELS. */
  sourceLabels?: readonly string[];
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
    scope.post('/loki/api/v1/push', { bodyLimit: context.bodyLimit, onRequest: context.requireScope('ingest') }, async (request, reply) => {
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
      try {
        result = mapLokiPush(streams, {
          ...(options.sourceLabels ? { sourceLabels: options.sourceLabels } : {}),
          limits: context.ingest,
          replaced: decoded.replaced,
        });
        // The stream is the caller's to choose: this route writes to the request's (the one) stream.
        if (result.groups.length > 0) await appendEntryGroups(context.engine.store, result.groups);
      } catch (error) {
        countInputLines(context.metrics.registry, 'loki', 'rejected', countLines(streams));
        throw error;
      }
      countInputLines(context.metrics.registry, 'loki', 'accepted', result.lines);
      context.metrics.ingested(
        result.groups.reduce((sum, group) => sum + group.entries.length, 0),
        raw.length,
      );
      return reply.code(204).send();
    });
  });
}

function countLines(streams: readonly LokiStream[]): number {
  return streams.reduce((sum, stream) => sum + stream.entries.length, 0);
}
