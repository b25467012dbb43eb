/**
 * Every error code livelog answers with, and its HTTP status. Bodies are
 * `{"error":{"code","message"}}`, plus `line` (1-based) when one line of an ingest batch is at fault
 * and `param` when one query parameter is.
 *
 * Codes are never reused for another meaning. @see ../../../docs/reference/errors.md
 */
export const ERROR_CODES = {
  LIVELOG_ERR_INGEST_MALFORMED_JSON: { status: 400, summary: 'A line or body is not valid JSON.' },
  LIVELOG_ERR_INGEST_NOT_AN_OBJECT: { status: 400, summary: 'A JSON record is not an object.' },
  LIVELOG_ERR_INGEST_BAD_LEVEL: { status: 400, summary: 'A level is neither a known name nor a number.' },
  LIVELOG_ERR_INGEST_BAD_TIME: { status: 400, summary: 'A time is neither epoch ms nor an ISO 8601 date.' },
  LIVELOG_ERR_INGEST_BAD_SOURCE: { status: 400, summary: 'A source is not a short printable name.' },
  LIVELOG_ERR_INGEST_TOO_DEEP: { status: 400, summary: 'A record nests deeper than the limit.' },
  LIVELOG_ERR_INGEST_EMPTY: { status: 400, summary: 'The batch holds no entry.' },
  LIVELOG_ERR_INGEST_TOO_MANY_ENTRIES: { status: 413, summary: 'The batch holds more entries than the limit.' },
  LIVELOG_ERR_INGEST_LINE_TOO_LONG: { status: 413, summary: 'One line of the body is longer than the line limit.' },
  LIVELOG_ERR_INGEST_BODY_TOO_LARGE: { status: 413, summary: 'The body is larger than the body limit.' },
  LIVELOG_ERR_INGEST_UNSUPPORTED_TYPE: { status: 415, summary: 'The Content-Type is not one livelog ingests.' },
  LIVELOG_ERR_INGEST_BAD_IDEMPOTENCY_KEY: { status: 400, summary: 'The Idempotency-Key header is empty, too long or not printable ASCII.' },
  LIVELOG_ERR_INGEST_BUSY: {
    status: 503,
    summary: 'The server holds as many ingest bytes as --ingest-buffer allows; nothing was stored, retry after Retry-After.',
  },
  LIVELOG_ERR_INGEST_IDEMPOTENCY_MISMATCH: { status: 422, summary: 'The Idempotency-Key was used before for a different body.' },
  LIVELOG_ERR_INGEST_UNSUPPORTED_ENCODING: { status: 415, summary: 'The Content-Encoding is not one livelog decodes (gzip, deflate).' },
  LIVELOG_ERR_INGEST_BAD_COMPRESSION: { status: 400, summary: 'The compressed body is corrupt or truncated.' },
  LIVELOG_ERR_OTLP_MALFORMED: { status: 400, summary: 'An OTLP logs body is neither valid OTLP protobuf nor valid OTLP JSON.' },
  LIVELOG_ERR_LOKI_MALFORMED: { status: 400, summary: 'A Loki push body is neither valid snappy-compressed protobuf nor valid push JSON.' },
  LIVELOG_ERR_LOKI_BAD_LABELS: { status: 400, summary: 'A Loki stream label set is not of the form {name="value", ...}.' },
  LIVELOG_ERR_SYSLOG_BAD_FRAME: {
    status: 400,
    summary:
      'A syslog frame is not a message: no <PRI> (0 to 191) at its start, or a malformed octet count. Logged and counted; the connection stays open.',
  },
  LIVELOG_ERR_SYSLOG_FRAME_TOO_LONG: {
    status: 413,
    summary: 'A syslog frame is longer than the line limit; it is skipped whole, the connection stays open.',
  },
  LIVELOG_ERR_SYSLOG_BAD_MESSAGE: {
    status: 400,
    summary: 'An RFC 5424 syslog message has a malformed header (timestamp, fields or structured data).',
  },
  LIVELOG_ERR_QUERY_BAD_PARAM: {
    status: 400,
    summary: 'A query parameter has a value livelog cannot use, or one that takes a single value is given twice with different values.',
  },
  LIVELOG_ERR_BAD_QUERY: {
    status: 400,
    summary:
      'The q search query cannot be read (unbalanced quote or parenthesis, dangling operator, empty field value, unknown level) or is longer than 4 KiB; the message names the position.',
  },
  LIVELOG_ERR_QUERY_BAD_TIME: {
    status: 400,
    summary:
      'A time parameter (since, until, time) is neither epoch ms, an ISO 8601 date, nor a duration back from now; or `since` is not before `until` (history, histogram).',
  },
  LIVELOG_ERR_CURSOR_MALFORMED: { status: 400, summary: 'A position is not of the form <stream>:<seq>.' },
  LIVELOG_ERR_CURSOR_FOREIGN: {
    status: 409,
    summary: 'A position belongs to another stream: one of the same name deleted and written to again, data wiped, or another server.',
  },
  LIVELOG_ERR_AUTH_MISSING_TOKEN: { status: 401, summary: 'A token is required and none was sent.' },
  LIVELOG_ERR_AUTH_INVALID_TOKEN: { status: 401, summary: 'The token sent is not one the server knows.' },
  LIVELOG_ERR_AUTH_FORBIDDEN: { status: 403, summary: 'The token lacks the scope this route needs.' },
  LIVELOG_ERR_AUTH_HOST_NOT_ALLOWED: {
    status: 421,
    summary: 'A server without tokens answers localhost, IP addresses and --allowed-host names only (DNS rebinding).',
  },
  LIVELOG_ERR_AUTH_CROSS_SITE: {
    status: 403,
    summary: 'A server without tokens answers pages of its own origin and --cors-origin origins only, not other sites.',
  },
  LIVELOG_ERR_AUTH_STREAM_FORBIDDEN: {
    status: 403,
    summary:
      'The token may not use this stream (its stream patterns do not cover the name); the answer is the same whether the stream exists or not.',
  },
  LIVELOG_ERR_STREAM_BAD_NAME: { status: 400, summary: 'A stream name is not of the form [a-z0-9][a-z0-9._-]{0,127}.' },
  LIVELOG_ERR_STREAM_NOT_FOUND: { status: 404, summary: 'No stream has this name (never written, or deleted).' },
  LIVELOG_ERR_STREAM_ENDED: { status: 409, summary: 'The stream was ended: it takes no more entries and cannot be ended again.' },
  LIVELOG_ERR_STREAM_BAD_LABELS: {
    status: 400,
    summary:
      'Stream labels are not an object of at most 32 keys [a-zA-Z_][a-zA-Z0-9_.-]{0,63} with string values of at most 256 characters.',
  },
  LIVELOG_ERR_STREAM_BAD_END: {
    status: 400,
    summary: 'An end body is not {exitCode?, reason?} with an integer exitCode (-2^31..2^31-1) and a reason of at most 1024 characters.',
  },
  LIVELOG_ERR_STREAM_TOO_MANY_READERS: { status: 503, summary: 'The server holds as many streams as it is configured to; retry later.' },
  LIVELOG_ERR_NO_ENTRY: {
    status: 404,
    summary: 'No retained entry answers the request (seek in an empty stream, context around an id not retained).',
  },
  LIVELOG_ERR_NOT_FOUND: { status: 404, summary: 'No such route: no method has a route at this path.' },
  LIVELOG_ERR_METHOD_NOT_ALLOWED: {
    status: 405,
    summary: 'The path is a route, but not for this method; the Allow header lists the methods it answers.',
  },
  LIVELOG_ERR_BAD_REQUEST: { status: 400, summary: 'The request is malformed at the HTTP level.' },
  LIVELOG_ERR_REQUEST_TIMEOUT: { status: 408, summary: 'The request line, headers and body did not all arrive within 60 s.' },
  LIVELOG_ERR_HEADERS_TOO_LARGE: {
    status: 431,
    summary: "The request line and headers are larger than the server reads (16 KiB, Node's --max-http-header-size).",
  },
  LIVELOG_ERR_SHUTTING_DOWN: { status: 503, summary: 'The server is shutting down; retry against another instance or later.' },
  LIVELOG_ERR_STORE_UNAVAILABLE: { status: 503, summary: 'The store cannot be reached; nothing was stored, retry later.' },
  LIVELOG_ERR_STORE_CLOSED: { status: 503, summary: 'The store is closed.' },
  LIVELOG_ERR_STORE_LOCKED: { status: 500, summary: 'Another process holds the data directory.' },
  LIVELOG_ERR_CONFIG_INVALID: { status: 500, summary: 'A configuration value is invalid.' },
  LIVELOG_ERR_CONFIG_INSECURE_BIND: { status: 500, summary: 'Binding beyond loopback without a token is refused.' },
  LIVELOG_ERR_INTERNAL: { status: 500, summary: 'An unexpected server error.' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    /** 1-based line of an ingest body that caused the error. */
    line?: number;
    /** Query parameter that caused the error. */
    param?: string;
  };
}

/** True when `value` is a known error code. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
