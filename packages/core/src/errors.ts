import { ERROR_CODES, type ErrorCode } from '@livelog/protocol';

/** Details some errors carry for the caller: the 1-based line of a body, or the query parameter. */
export interface LivelogErrorDetails {
  line?: number;
  param?: string;
  cause?: unknown;
}

/**
 * The one error class of livelog. `code` is stable (`LIVELOG_ERR_<AREA>_<PROBLEM>`) and says what
 * went wrong; `statusCode` is the HTTP status the server answers it with.
 * @see ../../../docs/reference/errors.md
 */
export class LivelogError extends Error {
  override readonly name = 'LivelogError';
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly line: number | undefined;
  readonly param: string | undefined;

  constructor(code: ErrorCode, message: string, details: LivelogErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.statusCode = ERROR_CODES[code].status;
    this.line = details.line;
    this.param = details.param;
  }
}

/** True when `error` is a LivelogError, across copies of this package. */
export function isLivelogError(error: unknown): error is LivelogError {
  return (
    error instanceof LivelogError ||
    (error instanceof Error && error.name === 'LivelogError' && typeof (error as { code?: unknown }).code === 'string')
  );
}
