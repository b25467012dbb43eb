import { LivelogError } from '@livelog/core';
import { describe, expect, it } from 'vitest';
import { decodeOtlpLogs } from './otlp-codec.js';

/** A protobuf field header and length, then `inner`'s bytes follow (`wire type 2`). */
function header(field: number, length: number): number[] {
  const out = [(field << 3) | 2];
  for (let n = length; ; n = Math.floor(n / 128)) {
    if (n < 128) {
      out.push(n);
      return out;
    }
    out.push((n % 128) | 0x80);
  }
}

/**
 * An ExportLogsServiceRequest whose one record's body is an AnyValue holding an array holding an
 * AnyValue … `depth` times, around a string. Built as headers from the inside out, then read in order.
 */
function nestedRequest(depth: number): Buffer {
  const core = Buffer.from([0x0a, 0x01, 0x78]); // AnyValue { string_value: "x" }
  const headers: number[][] = [];
  let length = core.length;
  const wrap = (field: number) => {
    const h = header(field, length);
    headers.push(h);
    length += h.length;
  };
  for (let i = 0; i < depth; i++) {
    wrap(1); // ArrayValue.values
    wrap(5); // AnyValue.array_value
  }
  wrap(5); // LogRecord.body
  wrap(2); // ScopeLogs.log_records
  wrap(2); // ResourceLogs.scope_logs
  wrap(1); // ExportLogsServiceRequest.resource_logs
  return Buffer.concat([Buffer.from(headers.reverse().flat()), core]);
}

describe('an OTLP protobuf body nested deeper than the decoder follows', () => {
  it('is refused as too deep, not as malformed with a stack overflow for a message', () => {
    // A shallow one decodes (the builder is right); 100,000 levels are ~700 KB, within the body limit.
    expect(decodeOtlpLogs(nestedRequest(3), 'protobuf').request).toBeTruthy();
    let refusal: unknown;
    try {
      decodeOtlpLogs(nestedRequest(100_000), 'protobuf');
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(LivelogError);
    expect((refusal as LivelogError).code).toBe('LIVELOG_ERR_INGEST_TOO_DEEP');
    expect((refusal as LivelogError).message).not.toMatch(/call stack/i);
  });
});
