import { isLivelogError, LivelogError } from '@livelog/core';
import type { ErrorBody } from '@livelog/protocol';

/** Fastify's own error codes and the livelog codes they are answered with. */
const FASTIFY_CODES: Record<string, () => LivelogError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => new LivelogError('LIVELOG_ERR_INGEST_BODY_TOO_LARGE', 'the body is larger than the body limit'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new LivelogError('LIVELOG_ERR_INGEST_UNSUPPORTED_TYPE', 'send application/x-ndjson, application/json or text/plain'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new LivelogError('LIVELOG_ERR_INGEST_EMPTY', 'the body holds no entry'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new LivelogError('LIVELOG_ERR_BAD_REQUEST', 'Content-Length does not match the body'),
};

/** Any error as the LivelogError it is answered with; unexpected ones become LIVELOG_ERR_INTERNAL. */
export function toLivelogError(error: unknown): LivelogError {
  if (isLivelogError(error)) return error;
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && FASTIFY_CODES[code] !== undefined) return (FASTIFY_CODES[code] as () => LivelogError)();
  const status = (error as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new LivelogError('LIVELOG_ERR_BAD_REQUEST', error instanceof Error ? error.message : 'bad request', { cause: error });
  }
  return new LivelogError('LIVELOG_ERR_INTERNAL', 'an unexpected error occurred; see the server log', { cause: error });
}

/** The JSON body of an error answer. */
export function errorBody(error: LivelogError): ErrorBody {
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (error.line !== undefined) body.error.line = error.line;
  if (error.param !== undefined) body.error.param = error.param;
  return body;
}

/** Shortcut for a bad query parameter. */
export function badParam(param: string, message: string): LivelogError {
  return new LivelogError('LIVELOG_ERR_QUERY_BAD_PARAM', `${param}: ${message}`, { param });
}

/** A time range whose `since` is not before its `until`: refused alike by history and histogram. */
export function sinceNotBeforeUntil(): LivelogError {
  return new LivelogError('LIVELOG_ERR_QUERY_BAD_TIME', 'since: must be before until', { param: 'since' });
}
