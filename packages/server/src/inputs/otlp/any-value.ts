import { LivelogError } from '@livelog/core';
import { at, describe, malformed, readArray, readBytes, readDouble, readInt64, readObject, type Where } from './otlp-values.js';

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
 * An OTLP `AnyValue` (the value at `where`) as plain JSON: strings, booleans and doubles as
 * themselves, 64-bit integers as numbers (decimal strings beyond 2^53), bytes as base64, arrays as
 * arrays, key-value lists as objects; an empty AnyValue as null. `depth` is the nesting level the
 * value sits at. Throws LIVELOG_ERR_INGEST_TOO_DEEP past the depth limit, LIVELOG_ERR_OTLP_MALFORMED
 * for a value of the wrong JSON type.
 */
export function anyValueToJson(value: unknown, depth: number, scope: ValueScope, where: Where): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw malformed(where(), `must be an AnyValue object, got ${describe(value)}`);
  const any = value as Record<string, unknown>;
  const { stringValue } = any;
  if (typeof stringValue === 'string') return checked(stringValue, scope);
  if (stringValue !== null && stringValue !== undefined)
    throw malformed(at(where, 'stringValue'), `must be a string, got ${describe(stringValue)}`);
  if (any.boolValue !== null && any.boolValue !== undefined) {
    if (typeof any.boolValue !== 'boolean') throw malformed(at(where, 'boolValue'), `must be a boolean, got ${describe(any.boolValue)}`);
    return any.boolValue;
  }
  if (any.intValue !== null && any.intValue !== undefined) return readInt64(any.intValue, where, 'intValue');
  if (any.doubleValue !== null && any.doubleValue !== undefined) return readDouble(any.doubleValue, where, 'doubleValue');
  if (any.bytesValue !== null && any.bytesValue !== undefined) return readBytes(any.bytesValue, where, 'bytesValue');
  if (any.arrayValue !== null && any.arrayValue !== undefined) {
    tooDeep(depth, scope, where);
    const values = readArray(readObject(any.arrayValue, where, 'arrayValue')?.values, where, 'arrayValue.values');
    return values.map((item, i) => anyValueToJson(item, depth + 1, scope, () => at(where, `arrayValue.values[${i}]`)));
  }
  if (any.kvlistValue !== null && any.kvlistValue !== undefined) {
    tooDeep(depth, scope, where);
    const values = readArray(readObject(any.kvlistValue, where, 'kvlistValue')?.values, where, 'kvlistValue.values');
    return keyValuesToObject(values, depth + 1, scope, () => at(where, 'kvlistValue.values'));
  }
  return null;
}

/** One key taken out of a key-value list instead of being copied into its object. */
export interface PickedKey {
  key: string;
  /** The key's converted value, when the list held it. */
  value?: unknown;
}

/**
 * A list of OTLP `KeyValue`s (the list at `where`) as an object whose entries sit at `depth`. A
 * repeated key keeps its last value, as OTLP receivers commonly do. Keys stay as sent
 * (`http.method`, not nested). The `pick` key, if given, goes to `pick.value` instead: deleting it
 * afterwards would turn the object into a slow dictionary.
 */
export function keyValuesToObject(
  values: readonly unknown[],
  depth: number,
  scope: ValueScope,
  where: Where,
  pick?: PickedKey,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < values.length; i++) {
    const pair = values[i] as { key?: unknown; value?: unknown } | null;
    if (pair === null || typeof pair !== 'object' || Array.isArray(pair)) throw malformed(`${where()}[${i}]`, 'must be a KeyValue object');
    const key = pair.key ?? '';
    if (typeof key !== 'string') throw malformed(`${where()}[${i}].key`, `must be a string, got ${describe(key)}`);
    checked(key, scope);
    const converted = anyValueToJson(pair.value, depth, scope, () => `${where()}[${i}].value`);
    // A "__proto__" key must stay data and never reach the object's prototype.
    if (key === pick?.key) pick.value = converted;
    else if (key === '__proto__')
      Object.defineProperty(out, key, { value: converted, enumerable: true, writable: true, configurable: true });
    else out[key] = converted;
  }
  return out;
}

function checked(text: string, scope: ValueScope): string {
  if (scope.replaced !== undefined && !scope.invalidUtf8 && scope.replaced(text)) scope.invalidUtf8 = true;
  return text;
}

function tooDeep(depth: number, scope: ValueScope, where: Where): void {
  if (depth + 1 > scope.maxDepth) {
    throw new LivelogError('LIVELOG_ERR_INGEST_TOO_DEEP', `${where()} nests deeper than ${scope.maxDepth} levels`);
  }
}
