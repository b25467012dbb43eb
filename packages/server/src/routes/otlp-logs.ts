import { LivelogError } from '@livelog/core';
import { DEFAULT_STREAM } from '@livelog/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { toLivelogError } from '../errors.js';
import { decodeContentEncoding } from '../inputs/decode-content-encoding.js';
import { countInputLines } from '../inputs/input-metrics.js';
import { mapOtlpLogs, type OtlpMapResult } from '../inputs/otlp/map-otlp-logs.js';
import { decodeOtlpLogs, encodeOtlpResponse, otlpEncodingOf } from '../inputs/otlp/otlp-codec.js';
import { encodeOtlpError } from '../inputs/otlp/otlp-status.js';
import { chargeIngestBody } from './ingest-budget.js';
import { appendGroupsDurably, rawBody, registerInputScope } from './input-scope.js';
import type { RouteContext } from './route-context.js';
import { streamParam } from './stream-name.js';

/** How the OTLP route maps records. */
export interface OtlpRouteOptions {
  /** The attribute that gives `source` (record, else resource). Defaults to `service.name`. */
  sourceAttribute?: string;
}

const CONTENT_TYPES = { protobuf: 'application/x-protobuf', json: 'application/json' } as const;

/**
 * `POST /v1/logs` (the stream `default`) and `POST /api/streams/{name}/v1/logs`: OTLP/HTTP logs, protobuf or JSON, optionally gzip-compressed; what the
 * OpenTelemetry SDKs and the Collector's `otlphttp` exporter send. Answers an
 * `ExportLogsServiceResponse` in the request's encoding once the accepted records are durable, with
 * `partialSuccess` for records refused one by one; errors are `google.rpc.Status` answers carrying
 * livelog's code (see otlp-status.ts).
 * @see https://opentelemetry.io/docs/specs/otlp/#otlphttp
 */
export function registerOtlpLogs(app: FastifyInstance, context: RouteContext, options: OtlpRouteOptions = {}): void {
  registerInputScope(app, context, (scope) => {
    scope.setErrorHandler((error, request, reply) => {
      const encoding = otlpEncodingOf(request.headers['content-type']);
      // Not an OTLP encoding: livelog's own error answer, from the plugin's handler.
      if (encoding === undefined) throw error;
      const failure = toLivelogError(error);
      if (failure.statusCode >= 500) request.log.error({ err: error }, failure.message);
      context.metrics.rejected(failure.code);
      if (failure.statusCode === 401) reply.header('www-authenticate', 'Bearer realm="livelog"');
      if (failure.statusCode === 503) reply.header('retry-after', '1');
      reply.code(failure.statusCode).type(CONTENT_TYPES[encoding]).send(encodeOtlpError(encoding, failure));
    });

    const route = (onRequest: onRequestHookHandler) => ({
      bodyLimit: context.bodyLimit,
      onRequest,
      preParsing: chargeIngestBody(context.ingestBudget, context.bodyLimit),
    });
    const ingest = async (name: string, request: FastifyRequest, reply: FastifyReply): Promise<Uint8Array | string> => {
      if (context.closing()) throw new LivelogError('LIVELOG_ERR_SHUTTING_DOWN', 'the server is shutting down; retry shortly');
      const contentType = request.headers['content-type'];
      const encoding = otlpEncodingOf(contentType);
      if (encoding === undefined) {
        throw new LivelogError(
          'LIVELOG_ERR_INGEST_UNSUPPORTED_TYPE',
          `Content-Type ${contentType === undefined ? 'is missing' : JSON.stringify(contentType)}; OTLP/HTTP sends application/x-protobuf or application/json`,
        );
      }
      const raw = rawBody(request.body);
      const body = await decodeContentEncoding(raw, request.headers['content-encoding'], context.bodyLimit);
      const decoded = decodeOtlpLogs(body, encoding);
      let result: OtlpMapResult | undefined;
      let stored = 0;
      try {
        result = mapOtlpLogs(decoded.request, {
          ...(options.sourceAttribute ? { sourceAttribute: options.sourceAttribute } : {}),
          now: Date.now(),
          limits: context.ingest,
          replaced: decoded.replaced,
        });
        if (result.groups.length > 0) {
          const target = { database: context.engine.database, stream: name, grant: context.grantOf(request, 'ingest') };
          stored = await appendGroupsDurably(context, target, result.groups);
        }
      } catch (error) {
        countInputLines(context.metrics.registry, 'otlp', 'rejected', result?.records ?? countRecords(decoded.request));
        throw error;
      }
      const accepted = result.records - result.rejected;
      countInputLines(context.metrics.registry, 'otlp', 'accepted', accepted);
      countInputLines(context.metrics.registry, 'otlp', 'rejected', result.rejected);
      context.metrics.ingested(stored, raw.length);
      reply.code(200).type(CONTENT_TYPES[encoding]);
      return encodeOtlpResponse(encoding, result.rejected, result.errorMessage);
    };
    scope.post('/v1/logs', route(context.requireScope('ingest', DEFAULT_STREAM)), (request, reply) =>
      ingest(DEFAULT_STREAM, request, reply),
    );
    scope.post('/api/streams/:name/v1/logs', route(context.requireStream('ingest')), (request, reply) =>
      ingest(streamParam(request), request, reply),
    );
  });
}

/** Log records in a request that could not be mapped, for the rejected-lines count; 0 when unreadable. */
function countRecords(request: unknown): number {
  try {
    let records = 0;
    for (const resource of (request as { resourceLogs?: { scopeLogs?: { logRecords?: unknown[] }[] }[] }).resourceLogs ?? []) {
      for (const scope of resource.scopeLogs ?? []) records += scope.logRecords?.length ?? 0;
    }
    return records;
  } catch {
    return 0;
  }
}
