import { LivelogError } from '@livelog/core';

/**
 * Readers of OTLP field values that accept both encodings: what the protobuf decoder yields (Long for
 * 64-bit integers, Uint8Array for bytes, null for unset fields) and what OTLP JSON carries (64-bit
 * integers as decimal strings or numbers, trace and span ids as hex, bytes as base64).
 * @see https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
 */

/** A 64-bit integer as protobufjs decodes it when the `long` package is present. */
interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
  toNumber(): number;
  toString(): string;
}

function isLong(value: unknown): value is LongLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as LongLike).low === 'number' &&
    typeof (value as LongLike).high === 'number'
  );
}

/**
 * Where a value sits in the request (`resourceLogs[0].scopeLogs[1].logRecords[7]`), spelt out only
 * when an error names it: building these paths for every value would cost more than the mapping.
 */
export type Where = () => string;

/** The request itself. */
export const ROOT: Where = () => '';

/** The path of `field` under `where`. */
export function at(where: Where, field: string): string {
  const parent = where();
  return parent === '' ? field : field === '' ? parent : `${parent}.${field}`;
}

/** A malformed-request error naming the field at fault. */
export function malformed(path: string, problem: string): LivelogError {
  return new LivelogError('LIVELOG_ERR_OTLP_MALFORMED', `${path}: ${problem}`);
}

const MAX_UINT64 = (1n << 64n) - 1n;

/** An unsigned 64-bit integer (fixed64 nanoseconds) as a bigint; 0n when unset. */
export function readUint64(value: unknown, where: Where, field: string): bigint {
  if (value === null || value === undefined) return 0n;
  if (isLong(value)) return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  if (typeof value === 'string' && /^\d{1,20}$/.test(value) && BigInt(value) <= MAX_UINT64) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  // proto3 JSON takes numbers too, and the JS SDK sends nanoseconds as numbers where BigInt is
  // missing. Past 2^53 a number has lost its last digits (a double is 256 ns coarse at today's times,
  // and 1 ms short can round to …999999744 ns): rounded to whole µs, a whole ms stays that ms.
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 2 ** 64) {
    return BigInt(Math.round(value / 1000)) * 1000n;
  }
  throw malformed(at(where, field), `must be an unsigned 64-bit integer (a decimal string or a number in JSON), got ${describe(value)}`);
}

/** A 64-bit signed integer: a number when it is safe, else its decimal text (JSON cannot carry more). */
export function readInt64(value: unknown, where: Where, field: string): number | string {
  if (isLong(value)) {
    const number = value.toNumber();
    return Number.isSafeInteger(number) ? number : value.toString();
  }
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) {
    const number = Number(value);
    return Number.isSafeInteger(number) ? number : value;
  }
  throw malformed(at(where, field), `must be a 64-bit integer, got ${describe(value)}`);
}

/** A 32-bit unsigned integer (counts, flags, enum values); 0 when unset. */
export function readUint32(value: unknown, where: Where, field: string): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff) return value;
  if (typeof value === 'string' && /^\d{1,10}$/.test(value) && Number(value) <= 0xffff_ffff) return Number(value);
  throw malformed(at(where, field), `must be an unsigned 32-bit integer, got ${describe(value)}`);
}

/** An optional string; '' when unset. */
export function readString(value: unknown, where: Where, field: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  throw malformed(at(where, field), `must be a string, got ${describe(value)}`);
}

/** An optional array; [] when unset. */
export function readArray(value: unknown, where: Where, field: string): readonly unknown[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value;
  throw malformed(at(where, field), `must be an array, got ${describe(value)}`);
}

/** An optional object; undefined when unset. */
export function readObject(value: unknown, where: Where, field: string): Record<string, unknown> | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw malformed(at(where, field), `must be an object, got ${describe(value)}`);
}

/**
 * A trace or span id of `bytes` bytes as lower-case hex, or undefined when unset or all zero (the
 * OTLP spelling of "no id"). Protobuf carries raw bytes, OTLP JSON hex.
 */
export function readId(value: unknown, bytes: number, where: Where, field: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  let hex: string;
  if (value instanceof Uint8Array) {
    if (value.length === 0) return undefined;
    if (value.length !== bytes) throw malformed(at(where, field), `must be ${bytes} bytes, got ${value.length}`);
    hex = Buffer.from(value.buffer, value.byteOffset, value.length).toString('hex');
  } else if (typeof value === 'string') {
    if (value === '') return undefined;
    if (value.length !== bytes * 2 || !/^[0-9a-f]+$/i.test(value)) {
      throw malformed(at(where, field), `must be ${bytes * 2} hex digits, got ${describe(value)}`);
    }
    hex = value.toLowerCase();
  } else {
    throw malformed(at(where, field), `must be ${bytes * 2} hex digits, got ${describe(value)}`);
  }
  return /^0+$/.test(hex) ? undefined : hex;
}

/** Bytes as base64: protobuf yields a Uint8Array, OTLP JSON already carries base64. */
export function readBytes(value: unknown, where: Where, field: string): string {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.length).toString('base64');
  if (typeof value === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) return value;
  throw malformed(at(where, field), `must be base64 bytes, got ${describe(value)}`);
}

/** A double: JSON spells the non-finite ones as strings; those stay strings here too. */
export function readDouble(value: unknown, where: Where, field: string): number | string {
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  throw malformed(at(where, field), `must be a number, got ${describe(value)}`);
}

export function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
