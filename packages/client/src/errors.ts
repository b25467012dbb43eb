/**
 * Every error code of @livelog/client, whether it ends a stream (`fatal`) or only causes a
 * reconnect, and what it means. Codes are never reused for another meaning.
 */
export const CLIENT_ERROR_CODES = {
  LIVELOG_CLIENT_ERR_UNAUTHORIZED: { fatal: true, summary: 'The server answered 401: the token is missing or not valid.' },
  LIVELOG_CLIENT_ERR_FORBIDDEN: { fatal: true, summary: 'The server answered 403: the token lacks the scope needed.' },
  LIVELOG_CLIENT_ERR_BAD_REQUEST: {
    fatal: true,
    summary: 'The server answered 400 or another 4xx that retrying cannot fix (bad filter, wrong URL).',
  },
  LIVELOG_CLIENT_ERR_NOT_SSE: {
    fatal: false,
    summary:
      'The server answered 200 but not with text/event-stream: retried (a cut in the response head looks like this), fatal after 3 in a row (wrong URL?).',
  },
  LIVELOG_CLIENT_ERR_MALFORMED: {
    fatal: false,
    summary:
      'An event held data livelog does not send: the connection is dropped and resumed before it; after 3 tries at the same position the event is skipped and counted.',
  },
  LIVELOG_CLIENT_ERR_STREAM_NOT_FOUND: {
    fatal: true,
    summary:
      'The server answered 404 LIVELOG_ERR_STREAM_NOT_FOUND: no stream of that name (a reader does not create one; the first write does).',
  },
  LIVELOG_CLIENT_ERR_STREAM_DELETED: {
    fatal: true,
    summary: 'The stream was deleted on the server while it was read (a `reset` then a `close` with reason `deleted`).',
  },
  LIVELOG_CLIENT_ERR_NO_CONTENT: { fatal: true, summary: 'The server answered 204: per the SSE spec, stop reconnecting.' },
  LIVELOG_CLIENT_ERR_SERVER_CLOSED: {
    fatal: false,
    summary: 'The server ended the stream with a close event (or refused to start it for a while: `busy`, `shutdown`, `unavailable`).',
  },
  LIVELOG_CLIENT_ERR_GAVE_UP: { fatal: true, summary: 'maxAttempts connection attempts failed in a row.' },
  LIVELOG_CLIENT_ERR_HTTP: { fatal: false, summary: 'The server answered 5xx, 408 or 429: retried with backoff (and Retry-After).' },
  LIVELOG_CLIENT_ERR_NETWORK: { fatal: false, summary: 'The connection failed or broke: retried with backoff.' },
  LIVELOG_CLIENT_ERR_ENDED: { fatal: false, summary: 'The server ended the response without a close event: retried.' },
  LIVELOG_CLIENT_ERR_RECONNECT: { fatal: false, summary: 'reconnectNow() (or a browser coming back online) dropped the connection.' },
  LIVELOG_CLIENT_ERR_WATCHDOG: {
    fatal: false,
    summary: 'No byte arrived for 2.5 heartbeat intervals: the connection is dead although TCP has not noticed; retried.',
  },
} as const satisfies Record<string, { fatal: boolean; summary: string }>;

/** A code of CLIENT_ERROR_CODES. */
export type ClientErrorCode = keyof typeof CLIENT_ERROR_CODES;

/** Details of a LivelogClientError. */
export interface ClientErrorDetails {
  /** HTTP status of the answer, when there was one. */
  status?: number;
  /** The server's own error code (`LIVELOG_ERR_…`) from the JSON error body, when it sent one. */
  serverCode?: string;
  /** Delay the server asked for with Retry-After, in ms. */
  retryAfterMs?: number;
  /** Overrides the code's default fatality (a retryable or terminal close reason). */
  fatal?: boolean;
  cause?: unknown;
}

/**
 * An error of @livelog/client. `fatal` errors end a stream (it emits `error` and its status becomes
 * `closed`); the others are reported in `status` events while the stream reconnects.
 */
export class LivelogClientError extends Error {
  override readonly name = 'LivelogClientError';
  readonly code: ClientErrorCode;
  readonly fatal: boolean;
  readonly status: number | undefined;
  readonly serverCode: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: ClientErrorCode, message: string, details: ClientErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.fatal = details.fatal ?? CLIENT_ERROR_CODES[code].fatal;
    this.status = details.status;
    this.serverCode = details.serverCode;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** True for errors thrown by @livelog/client. */
export function isLivelogClientError(value: unknown): value is LivelogClientError {
  return value instanceof LivelogClientError;
}
