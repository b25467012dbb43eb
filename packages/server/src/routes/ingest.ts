import { type AppendResult, bodyFormatOf, checkSource, digestBody, LivelogError, parseBody, parseLevelValue } from '@livelog/core';
import { DEFAULT_STREAM, formatId, type IngestReply, type LevelName } from '@livelog/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { badParam } from '../errors.js';
import { decodeContentEncoding } from '../inputs/decode-content-encoding.js';
import { decodeTextCharset } from '../inputs/decode-text-charset.js';
import { chargeIngestBody } from './ingest-budget.js';
import { queryOf } from './query-params.js';
import type { RouteContext } from './route-context.js';
import { streamParam } from './stream-name.js';
import { streamEndedError, writableStream } from './stream-stores.js';

/** Printable ASCII, as in the IETF Idempotency-Key draft's examples (UUIDs, random tokens). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * `POST /api/logs` (the stream `default`) and `POST /api/streams/{name}/logs`: a whole batch is parsed, validated and appended atomically, and answered only
 * once durable. Nothing of a batch with a bad line is stored.
 */
export function registerIngest(app: FastifyInstance, context: RouteContext): void {
  // Bodies are taken raw: parsing is ours, so every malformed body gets a livelog error code and
  // invalid UTF-8 can be marked instead of rejected.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: context.bodyLimit }, (_request, body, done) => {
    done(null, body);
  });

  const route = (onRequest: onRequestHookHandler) => ({
    bodyLimit: context.bodyLimit,
    onRequest,
    // Charged before the body is read, given back once the answer is out: parse and commit included.
    preParsing: chargeIngestBody(context.ingestBudget, context.bodyLimit),
  });
  app.post('/api/logs', route(context.requireScope('ingest', DEFAULT_STREAM)), (request, reply) =>
    ingestInto(context, DEFAULT_STREAM, request, reply),
  );
  app.post('/api/streams/:name/logs', route(context.requireStream('ingest')), (request, reply) =>
    ingestInto(context, streamParam(request), request, reply),
  );
}

/** Parses the body of an ingest request and appends it to the stream `name`, created by this write if new. */
async function ingestInto(context: RouteContext, name: string, request: FastifyRequest, reply: FastifyReply): Promise<IngestReply> {
  if (context.closing()) throw new LivelogError('LIVELOG_ERR_SHUTTING_DOWN', 'the server is shutting down; retry shortly');
  const store = await writableStream(context.engine, name);
  // Refused before the body is parsed; the append below refuses it atomically too, should an end come in between.
  // Not with an Idempotency-Key: a retry of a batch stored before the end gets its first reply from the store.
  if (store.ended() !== undefined && request.headers['idempotency-key'] === undefined) throw streamEndedError(name);
  const contentType = request.headers['content-type'];
  const format = bodyFormatOf(contentType);
  if (format === undefined) {
    throw new LivelogError(
      'LIVELOG_ERR_INGEST_UNSUPPORTED_TYPE',
      `Content-Type ${contentType === undefined ? 'is missing' : JSON.stringify(contentType)}; send application/x-ndjson, application/json or text/plain`,
    );
  }
  const query = queryOf(request.url);
  const source = defaultSource(query.get('source'));
  const level = defaultLevel(query.get('level'));
  const multiline = multilineParam(query.get('multiline'));
  const time = timeParam(query.get('time'));
  const keyHeader = request.headers['idempotency-key'];
  const idempotencyKey = Array.isArray(keyHeader) ? keyHeader.join(',') : keyHeader;
  // Node joins repeated headers with ", ": said as what it is, not as a key with a space in it.
  if (idempotencyKey?.includes(', ') && timesSent(request.raw.rawHeaders, 'idempotency-key') > 1) {
    throw new LivelogError('LIVELOG_ERR_INGEST_BAD_IDEMPOTENCY_KEY', 'Idempotency-Key is sent more than once; send one key per batch');
  }
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new LivelogError('LIVELOG_ERR_INGEST_BAD_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 200 printable ASCII characters');
  }
  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  // Undone before parsing: a compressed body read as text would be stored as one line of binary noise.
  const decoded = await decodeContentEncoding(raw, request.headers['content-encoding'], context.bodyLimit);
  const body = format === 'text' ? decodeTextCharset(decoded, contentType, context.bodyLimit) : decoded;
  const entries = parseBody(body, {
    format,
    defaults: { source, level: level ?? 'info', now: Date.now() },
    levelGiven: level !== undefined,
    limits: context.ingest,
    multiline,
    time,
  });
  const options =
    idempotencyKey === undefined
      ? {}
      : {
          idempotencyKey,
          // The text options change what a body becomes; named only when not the default, so earlier digests still match.
          bodyDigest: digestBody(
            `${format}\n${source}\n${level ?? ''}\n${multiline ? '' : 'multiline=false\n'}${time === 'line' ? '' : 'time=received\n'}`,
            body,
          ),
        };
  const bodyBytes = body.length;
  // The entries hold everything now: let the body go while the batch waits for its commit.
  request.body = undefined;
  let result: AppendResult;
  try {
    result = await store.append(entries, options);
  } catch (error) {
    context.disk.failed(error);
    throw error;
  }
  if (!result.replayed) context.disk.committed();
  context.metrics.ingested(result.replayed ? 0 : entries.length, bodyBytes);
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  return {
    accepted: result.lastSeq - result.firstSeq + 1,
    firstId: formatId(store.streamId, result.firstSeq),
    lastId: formatId(store.streamId, result.lastSeq),
  };
}

/**
 * How many times the header `name` (lower case) was sent. From rawHeaders: `headersDistinct` is not
 * there on the requests of Fastify's `inject` (light-my-request).
 */
function timesSent(rawHeaders: readonly string[] | undefined, name: string): number {
  let count = 0;
  for (let index = 0; index < (rawHeaders?.length ?? 0); index += 2) if (rawHeaders?.[index]?.toLowerCase() === name) count++;
  return count;
}

function defaultSource(value: string | null): string {
  if (value === null || value === '') return 'default';
  try {
    return checkSource(value);
  } catch (error) {
    throw badParam('source', (error as Error).message);
  }
}

function defaultLevel(value: string | null): LevelName | undefined {
  if (value === null || value === '') return undefined;
  const level = parseLevelValue(value);
  if (level === undefined) throw badParam('level', 'must be trace, debug, info, warn, error or fatal');
  return level;
}

/** `?multiline=false` (or `0`, `off`) keeps one entry per text line; `true` (the default) groups traces. */
function multilineParam(value: string | null): boolean {
  if (value === null || value === '' || value === 'true' || value === '1' || value === 'on') return true;
  if (value === 'false' || value === '0' || value === 'off') return false;
  throw badParam('multiline', 'must be true or false');
}

/** `?time=received` gives every text line its receive time; `line` (the default) reads the time a line starts with. */
function timeParam(value: string | null): 'line' | 'received' {
  if (value === null || value === '' || value === 'line') return 'line';
  if (value === 'received') return 'received';
  throw badParam('time', 'must be line or received');
}
