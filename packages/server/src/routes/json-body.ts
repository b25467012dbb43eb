import { LivelogError } from '@livelog/core';
import type { ErrorCode } from '@livelog/protocol';

/**
 * The JSON object of a small control body (end, PUT), taken raw like every body of the plugin. An
 * empty body is `{}`; anything that is not a JSON object is a 400 with `code`.
 */
export function jsonObjectBody(body: unknown, code: ErrorCode): Record<string, unknown> {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : '';
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new LivelogError(code, 'the body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LivelogError(code, 'the body must be a JSON object');
  return value as Record<string, unknown>;
}
