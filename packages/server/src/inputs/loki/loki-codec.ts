import { LivelogError } from '@livelog/core';
import protobuf from 'protobufjs/light.js';
import { uncompress } from 'snappyjs';
import { type ReplacedStrings, replacedByReader, replacedInText, Utf8CheckingReader } from '../utf8-checking-reader.js';

/**
 * Loki push bodies: `application/x-protobuf` (a snappy block holding a logproto `PushRequest`, as
 * Promtail, Alloy, Vector and Fluent Bit send it) and `application/json`. protobufjs decodes the
 * push messages from their published field numbers (Loki's `push.proto`); snappyjs undoes the
 * snappy block.
 */

/** The two encodings of a Loki push. */
export type LokiEncoding = 'protobuf' | 'json';

/** The encoding a Content-Type names, or undefined for one the push API does not use. */
export function lokiEncodingOf(contentType: string | undefined): LokiEncoding | undefined {
  const media = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  return undefined;
}

/** The logproto `PushRequest` type the decoder reads (tests encode pushes with it too). */
export const PushRequest = protobuf.Root.fromJSON({
  nested: {
    logproto: {
      nested: {
        PushRequest: { fields: { streams: { rule: 'repeated', type: 'StreamAdapter', id: 1 } } },
        StreamAdapter: {
          fields: {
            labels: { type: 'string', id: 1 },
            entries: { rule: 'repeated', type: 'EntryAdapter', id: 2 },
            hash: { type: 'uint64', id: 3 },
          },
        },
        EntryAdapter: {
          fields: {
            timestamp: { type: 'Timestamp', id: 1 },
            line: { type: 'string', id: 2 },
            structuredMetadata: { rule: 'repeated', type: 'LabelPairAdapter', id: 3 },
            parsed: { rule: 'repeated', type: 'LabelPairAdapter', id: 4 },
          },
        },
        LabelPairAdapter: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        // google.protobuf.Timestamp, which Loki's push.proto imports.
        Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
      },
    },
  },
}).lookupType('logproto.PushRequest');

/** A decoded push and a predicate for the strings whose bytes were invalid UTF-8. */
export interface DecodedLokiPush {
  push: unknown;
  replaced: ReplacedStrings;
}

/**
 * Decodes a push body. The snappy block's declared length is checked against `limit` before any
 * memory is taken for it. Throws LIVELOG_ERR_LOKI_MALFORMED or LIVELOG_ERR_INGEST_BODY_TOO_LARGE.
 */
export function decodeLokiPush(body: Buffer, encoding: LokiEncoding, limit: number): DecodedLokiPush {
  if (encoding === 'json') {
    let push: unknown;
    try {
      push = JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new LivelogError('LIVELOG_ERR_LOKI_MALFORMED', `the body is not valid JSON (${(error as Error).message})`, { cause: error });
    }
    return { push, replaced: replacedInText(body) };
  }
  let raw: Uint8Array;
  try {
    raw = uncompress(new Uint8Array(body.buffer, body.byteOffset, body.length), limit);
  } catch (error) {
    const message = (error as Error).message;
    if (/too big/.test(message)) {
      throw new LivelogError(
        'LIVELOG_ERR_INGEST_BODY_TOO_LARGE',
        `the snappy-decoded body is larger than the body limit of ${limit} bytes`,
      );
    }
    throw new LivelogError('LIVELOG_ERR_LOKI_MALFORMED', `the body is not a snappy block (${message})`, { cause: error });
  }
  const reader = new Utf8CheckingReader(Buffer.from(raw.buffer, raw.byteOffset, raw.length));
  let push: unknown;
  try {
    push = PushRequest.decode(reader);
  } catch (error) {
    throw new LivelogError('LIVELOG_ERR_LOKI_MALFORMED', `the body is not a Loki PushRequest in protobuf (${(error as Error).message})`, {
      cause: error,
    });
  }
  return { push, replaced: replacedByReader(reader) };
}
