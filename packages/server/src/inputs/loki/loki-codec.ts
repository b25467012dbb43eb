import { LivelogError, scanJson, withoutUtf8Bom } from '@livelog/core';
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
 * The deepest JSON nesting a Loki JSON push may have: a push needs 6 (`streams`, a stream, `values`,
 * a value, its structured metadata). Checked by one pass over the text before JSON.parse, which
 * held the event loop 15 s and took 500 MB on 8 million nested `[` in a 16 MiB body.
 */
export const LOKI_JSON_MAX_DEPTH = 16;

/**
 * Decodes a push body. The snappy block's declared length is checked against `limit` before any
 * memory is taken for it. Throws LIVELOG_ERR_LOKI_MALFORMED or LIVELOG_ERR_INGEST_BODY_TOO_LARGE.
 */
export function decodeLokiPush(body: Buffer, encoding: LokiEncoding, limit: number): DecodedLokiPush {
  if (encoding === 'json') {
    // A byte order mark in front of the JSON is dropped, as native ingest drops it (withoutUtf8Bom).
    const json = withoutUtf8Bom(body);
    const text = json.toString('utf8');
    const deepAt = scanJson(text, LOKI_JSON_MAX_DEPTH);
    if (deepAt !== -1) {
      throw new LivelogError(
        'LIVELOG_ERR_LOKI_MALFORMED',
        `the body nests deeper than ${LOKI_JSON_MAX_DEPTH} levels of JSON (at character ${deepAt}); a push needs 6`,
      );
    }
    let push: unknown;
    try {
      push = JSON.parse(text);
    } catch (error) {
      throw new LivelogError('LIVELOG_ERR_LOKI_MALFORMED', `the body is not valid JSON (${(error as Error).message})`, { cause: error });
    }
    return { push, replaced: replacedInText(json) };
  }
  let raw: Uint8Array;
  try {
    const block = new Uint8Array(body.buffer, body.byteOffset, body.length);
    raw = uncompress(block, limit);
    // snappyjs pads a cut block's missing tail with zeros, which protobuf reads as valid fields: a
    // cut push would be stored in part. The elements must produce exactly the declared length.
    const produced = snappyElementsLength(block);
    if (produced !== raw.length) {
      throw new Error(
        produced === undefined
          ? 'its last element is cut short'
          : `it declares ${raw.length} bytes and its elements produce ${produced}: cut short or corrupt`,
      );
    }
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

/**
 * The bytes the elements of a snappy block produce, walked without decompressing; undefined when an
 * element runs past the end of the block or copies from before its start. Block format:
 * https://github.com/google/snappy/blob/main/format_description.txt
 */
export function snappyElementsLength(block: Uint8Array): number | undefined {
  let at = 0;
  // The preamble: the uncompressed length as a little-endian varint.
  while (at < block.length && ((block[at] as number) & 0x80) !== 0) at++;
  if (at >= block.length) return undefined;
  at++;
  let produced = 0;
  while (at < block.length) {
    const tag = block[at] as number;
    at++;
    let length: number;
    let offset: number;
    switch (tag & 0x3) {
      case 0: {
        const short = tag >>> 2;
        if (short < 60) {
          length = short + 1;
        } else {
          const bytes = short - 59;
          if (at + bytes > block.length) return undefined;
          length = 0;
          for (let i = bytes - 1; i >= 0; i--) length = length * 256 + (block[at + i] as number);
          length += 1;
          at += bytes;
        }
        if (at + length > block.length) return undefined;
        at += length;
        produced += length;
        continue;
      }
      case 1:
        if (at + 1 > block.length) return undefined;
        length = ((tag >>> 2) & 0x7) + 4;
        offset = ((tag >>> 5) << 8) | (block[at] as number);
        at += 1;
        break;
      case 2:
        if (at + 2 > block.length) return undefined;
        length = (tag >>> 2) + 1;
        offset = (block[at] as number) | ((block[at + 1] as number) << 8);
        at += 2;
        break;
      default:
        if (at + 4 > block.length) return undefined;
        length = (tag >>> 2) + 1;
        offset =
          ((block[at] as number) | ((block[at + 1] as number) << 8) | ((block[at + 2] as number) << 16)) +
          (block[at + 3] as number) * 2 ** 24;
        at += 4;
    }
    if (offset === 0 || offset > produced) return undefined;
    produced += length;
  }
  return produced;
}
