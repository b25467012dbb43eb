import { LivelogError } from '@livelog/core';
import { describe, malformed, readArray, readBytes, readDouble, readInt64, readObject, readString } from './otlp-values.js';

/** What converting OTLP values needs, and what it found. */
export interface ValueScope {
  /** Deepest nesting allowed (the ingest depth limit; a flat `fields` object is depth 1). */
  maxDepth: number;
  /** Tells strings whose bytes were invalid UTF-8; undefined when the request held none. */
  replaced: ((text: string) => boolean) | undefined;
  /** Set when a converted string (key or value) was one of those. */
  invalidUtf8: boolean;
}

/**
 * An OTLP `AnyValue` as plain JSON: strings, booleans and doubles as themselves, 64-bit integers as
 * numbers (decimal strings beyond 2^53), bytes as base64, arrays as arrays, key-value lists as
 * objects; an empty AnyValue as null. `depth` is the nesting level the value sits at.
 * Throws LIVELOG_ERR_INGEST_TOO_DEEP past the depth limit, LIVELOG_ERR_OTLP_MALFORMED for a value
 * of the wrong JSON type.
 */
export function anyValueToJson(value: unknown, depth: number, scope: ValueScope, path: string): unknown {
  const any = readObject(value, path);
  if (any === undefined) return null;
  if (any.stringValue !== null && any.stringValue !== undefined) return checked(readString(any.stringValue, `${path}.stringValue`), scope);
  if (any.boolValue !== null && any.boolValue !== undefined) {
    if (typeof any.boolValue !== 'boolean') throw malformed(`${path}.boolValue`, `must be a boolean, got ${describe(any.boolValue)}`);
    return any.boolValue;
  }
  if (any.intValue !== null && any.intValue !== undefined) return readInt64(any.intValue, `${path}.intValue`);
  if (any.doubleValue !== null && any.doubleValue !== undefined) return readDouble(any.doubleValue, `${path}.doubleValue`);
  if (any.bytesValue !== null && any.bytesValue !== undefined) return readBytes(any.bytesValue, `${path}.bytesValue`);
  if (any.arrayValue !== null && any.arrayValue !== undefined) {
    tooDeep(depth, scope, path);
    const values = readArray(readObject(any.arrayValue, `${path}.arrayValue`)?.values, `${path}.arrayValue.values`);
    return values.map((item, i) => anyValueToJson(item, depth + 1, scope, `${path}.arrayValue.values[${i}]`));
  }
  if (any.kvlistValue !== null && any.kvlistValue !== undefined) {
    tooDeep(depth, scope, path);
    const values = readArray(readObject(any.kvlistValue, `${path}.kvlistValue`)?.values, `${path}.kvlistValue.values`);
    return keyValuesToObject(values, depth + 1, scope, `${path}.kvlistValue.values`);
  }
  return null;
}

/**
 * A list of OTLP `KeyValue`s as an object whose entries sit at `depth`. A repeated key keeps its
 * last value, as OTLP receivers commonly do. Keys stay as sent (`http.method`, not nested).
 */
export function keyValuesToObject(values: readonly unknown[], depth: number, scope: ValueScope, path: string): Record<string, unknown> {
  const entries: [string, unknown][] = [];
  for (let i = 0; i < values.length; i++) {
    const pair = readObject(values[i], `${path}[${i}]`);
    if (pair === undefined) continue;
    const key = checked(readString(pair.key, `${path}[${i}].key`), scope);
    entries.push([key, anyValueToJson(pair.value, depth, scope, `${path}[${i}].value`)]);
  }
  // fromEntries defines own properties, so a "__proto__" key stays data and cannot reach a prototype.
  return Object.fromEntries(entries);
}

function checked(text: string, scope: ValueScope): string {
  if (scope.replaced !== undefined && !scope.invalidUtf8 && scope.replaced(text)) scope.invalidUtf8 = true;
  return text;
}

function tooDeep(depth: number, scope: ValueScope, path: string): void {
  if (depth + 1 > scope.maxDepth) {
    throw new LivelogError('LIVELOG_ERR_INGEST_TOO_DEEP', `${path} nests deeper than ${scope.maxDepth} levels`);
  }
}
