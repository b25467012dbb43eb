import type { LivelogError } from '@livelog/core';
import protobuf from 'protobufjs/light.js';
import { errorBody } from '../../errors.js';
import type { OtlpEncoding } from './otlp-codec.js';

/**
 * Error answers of the OTLP routes. OTLP/HTTP asks for a `google.rpc.Status` in the request's
 * encoding; livelog's error code rides in it as a `google.rpc.ErrorInfo` detail (`reason` = the
 * code, `domain` = `livelog`), the standard place for a machine-readable cause. The JSON answer
 * also carries livelog's own `error` object, so it reads like every other livelog error.
 * @see https://opentelemetry.io/docs/specs/otlp/#failures-1
 */

/** gRPC status codes (google.rpc.Code) for the HTTP statuses livelog answers with. */
function grpcCode(status: number): number {
  if (status === 400 || status === 413 || status === 415) return 3; // INVALID_ARGUMENT
  if (status === 401) return 16; // UNAUTHENTICATED
  if (status === 403) return 7; // PERMISSION_DENIED
  if (status === 404) return 5; // NOT_FOUND
  // An ended stream takes no more entries: the request cannot succeed in the stream's state.
  if (status === 409) return 9; // FAILED_PRECONDITION
  if (status === 429) return 8; // RESOURCE_EXHAUSTED
  if (status === 503) return 14; // UNAVAILABLE
  return 13; // INTERNAL
}

const ERROR_INFO_TYPE = 'type.googleapis.com/google.rpc.ErrorInfo';

/**
 * Encoders for google.rpc.Status, google.protobuf.Any and google.rpc.ErrorInfo, built by protobufjs
 * from their published field numbers (status.proto, any.proto, error_details.proto).
 */
const { Status, ErrorInfo } = (() => {
  const root = protobuf.Root.fromJSON({
    nested: {
      google: {
        nested: {
          protobuf: { nested: { Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } } } },
          rpc: {
            nested: {
              Status: {
                fields: {
                  code: { type: 'int32', id: 1 },
                  message: { type: 'string', id: 2 },
                  details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
                },
              },
              ErrorInfo: {
                fields: {
                  reason: { type: 'string', id: 1 },
                  domain: { type: 'string', id: 2 },
                },
              },
            },
          },
        },
      },
    },
  });
  return { Status: root.lookupType('google.rpc.Status'), ErrorInfo: root.lookupType('google.rpc.ErrorInfo') };
})();

/** The body of an OTLP error answer for `error`, in the request's encoding. */
export function encodeOtlpError(encoding: OtlpEncoding, error: LivelogError): Buffer | string {
  const code = grpcCode(error.statusCode);
  if (encoding === 'json') {
    return JSON.stringify({
      code,
      message: error.message,
      details: [{ '@type': ERROR_INFO_TYPE, reason: error.code, domain: 'livelog' }],
      ...errorBody(error),
    });
  }
  const info = ErrorInfo.encode({ reason: error.code, domain: 'livelog' }).finish();
  return Buffer.from(Status.encode({ code, message: error.message, details: [{ type_url: ERROR_INFO_TYPE, value: info }] }).finish());
}

/** Decodes a protobuf `google.rpc.Status` answer (tests and clients reading livelog's errors). */
export function decodeOtlpError(body: Uint8Array): { code: number; message: string; reason: string | undefined } {
  const status = Status.toObject(Status.decode(body), { defaults: true }) as {
    code: number;
    message: string;
    details: { type_url: string; value: Uint8Array }[];
  };
  const detail = status.details.find((item) => item.type_url === ERROR_INFO_TYPE);
  const reason = detail === undefined ? undefined : (ErrorInfo.decode(detail.value) as unknown as { reason: string }).reason;
  return { code: status.code, message: status.message, reason };
}
