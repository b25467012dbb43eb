import { LivelogError, scanJson, withoutUtf8Bom } from '@livelog/core';
import otlpRoot from '@opentelemetry/otlp-transformer/build/src/generated/root.js';
import type protobuf from 'protobufjs/minimal.js';
import { type ReplacedStrings, replacedByReader, replacedInText, Utf8CheckingReader } from '../utf8-checking-reader.js';

/**
 * OTLP logs on the wire, both encodings. Protobuf messages are decoded and encoded by the classes
 * the OpenTelemetry JS project generated (protobufjs static code) from the official
 * opentelemetry-proto definitions; `@opentelemetry/otlp-transformer` 0.214.0 is the last release
 * that ships the logs messages in that generated root, hence the exact pin.
 */

/**
 * The deepest JSON nesting an OTLP/HTTP JSON body may have. A record within the ingest nesting limit
 * (32) needs about 140 levels (7 down to a record, 4 per nested key-value list); twice that keeps a
 * record slightly too deep refused alone (partialSuccess), while a hostile body (8 million nested
 * `[` in 16 MiB) is refused by one pass over the text: JSON.parse held the event loop 19 s and took
 * 330 MB on it, and describing the error then overflowed the stack (a 500).
 */
export const OTLP_JSON_MAX_DEPTH = 288;

/** The two OTLP/HTTP encodings. */
export type OtlpEncoding = 'protobuf' | 'json';

interface GeneratedMessage {
  decode(reader: protobuf.Reader): unknown;
  encode(message: object): protobuf.Writer;
}

const logsV1 = (otlpRoot as unknown as { opentelemetry: { proto: { collector: { logs: { v1: Record<string, GeneratedMessage> } } } } })
  .opentelemetry.proto.collector.logs.v1;
const ExportLogsServiceRequest = logsV1.ExportLogsServiceRequest as GeneratedMessage;
const ExportLogsServiceResponse = logsV1.ExportLogsServiceResponse as GeneratedMessage;

/** The encoding a Content-Type names, or undefined for one OTLP/HTTP does not use. */
export function otlpEncodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const media = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  return undefined;
}

/** A decoded request and a predicate for the strings whose bytes were invalid UTF-8. */
export interface DecodedOtlpRequest {
  request: unknown;
  replaced: ReplacedStrings;
}

/** Decodes an `ExportLogsServiceRequest`; throws LIVELOG_ERR_OTLP_MALFORMED when `body` is not one. */
export function decodeOtlpLogs(body: Buffer, encoding: OtlpEncoding): DecodedOtlpRequest {
  if (encoding === 'protobuf') {
    const reader = new Utf8CheckingReader(body);
    let request: unknown;
    try {
      request = ExportLogsServiceRequest.decode(reader);
    } catch (error) {
      // The generated decoder recurses once per nested message: values nested (array in array, kvlist
      // in kvlist) beyond what the stack holds overflow it. That is the JSON depth refusal's case, and
      // its answer, not a malformed body whose message says "Maximum call stack size exceeded".
      if (isStackOverflow(error)) {
        throw new LivelogError(
          'LIVELOG_ERR_INGEST_TOO_DEEP',
          'the body nests values deeper than the protobuf decoder follows, far past what a record within the nesting limit needs',
          { cause: error },
        );
      }
      // Truncated or corrupt bytes: the decoder's own words.
      throw new LivelogError(
        'LIVELOG_ERR_OTLP_MALFORMED',
        `the body is not an OTLP ExportLogsServiceRequest in protobuf (${(error as Error).message})`,
        {
          cause: error,
        },
      );
    }
    return { request, replaced: replacedByReader(reader) };
  }
  // A byte order mark in front of the JSON is dropped, as native ingest drops it (withoutUtf8Bom).
  const json = withoutUtf8Bom(body);
  const text = json.toString('utf8');
  const deepAt = scanJson(text, OTLP_JSON_MAX_DEPTH);
  if (deepAt !== -1) {
    throw new LivelogError(
      'LIVELOG_ERR_INGEST_TOO_DEEP',
      `the body nests deeper than ${OTLP_JSON_MAX_DEPTH} levels of JSON (at character ${deepAt}), far past what a record within the nesting limit needs`,
    );
  }
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch (error) {
    throw new LivelogError('LIVELOG_ERR_OTLP_MALFORMED', `the body is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    throw new LivelogError('LIVELOG_ERR_OTLP_MALFORMED', 'the body must be an OTLP ExportLogsServiceRequest JSON object');
  }
  return { request, replaced: replacedInText(json) };
}

function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

/** The success answer: an `ExportLogsServiceResponse`, with `partialSuccess` when records were refused. */
export function encodeOtlpResponse(encoding: OtlpEncoding, rejected: number, errorMessage: string): Buffer | string {
  if (encoding === 'json') {
    // int64 travels as a decimal string in OTLP JSON.
    return rejected === 0 ? '{}' : JSON.stringify({ partialSuccess: { rejectedLogRecords: String(rejected), errorMessage } });
  }
  const message = rejected === 0 ? {} : { partialSuccess: { rejectedLogRecords: rejected, errorMessage } };
  return Buffer.from(ExportLogsServiceResponse.encode(message).finish());
}
