/** Stream names: lowercase, URL-path and Redis-hash-tag safe, at most 128 characters. */
export const STREAM_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/** The stream the unnamed routes (`/api/logs`, `/api/stream`, `/api/sources`) read and write. */
export const DEFAULT_STREAM = 'default';

/** True when `value` is a valid stream name. */
export function isStreamName(value: unknown): value is string {
  return typeof value === 'string' && STREAM_NAME_PATTERN.test(value);
}

/** Label keys: identifier-like, at most 64 characters. */
export const STREAM_LABEL_KEY_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_.-]{0,63}$/;
/** Most labels one stream carries. */
export const MAX_STREAM_LABELS = 32;
/** Longest label value. */
export const MAX_STREAM_LABEL_VALUE = 256;
/** Longest end reason. */
export const MAX_END_REASON = 1024;

/**
 * Why `labels` is not a valid label set, or undefined when it is: an object of at most 32 keys
 * matching STREAM_LABEL_KEY_PATTERN, each with a string value of at most 256 characters.
 */
export function labelsProblem(labels: unknown): string | undefined {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return 'labels must be a JSON object';
  const entries = Object.entries(labels);
  if (entries.length > MAX_STREAM_LABELS) return `at most ${MAX_STREAM_LABELS} labels are allowed`;
  for (const [key, value] of entries) {
    if (!STREAM_LABEL_KEY_PATTERN.test(key)) return `label key ${JSON.stringify(key.slice(0, 80))} is not [a-zA-Z_][a-zA-Z0-9_.-]{0,63}`;
    if (typeof value !== 'string') return `label ${key} must be a string`;
    if (value.length > MAX_STREAM_LABEL_VALUE) return `label ${key} is longer than ${MAX_STREAM_LABEL_VALUE} characters`;
  }
  return undefined;
}

/**
 * Why `body` is not a valid end payload `{exitCode?, reason?}`, or undefined when it is: exitCode an
 * integer in -2^31..2^31-1, reason a string of at most 1024 characters, no other keys.
 */
export function endProblem(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the end body must be a JSON object';
  for (const key of Object.keys(body)) if (key !== 'exitCode' && key !== 'reason') return `unknown key ${JSON.stringify(key.slice(0, 80))}`;
  const { exitCode, reason } = body as { exitCode?: unknown; reason?: unknown };
  if (exitCode !== undefined && (!Number.isInteger(exitCode) || (exitCode as number) < -(2 ** 31) || (exitCode as number) > 2 ** 31 - 1)) {
    return 'exitCode must be an integer in -2147483648..2147483647';
  }
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_END_REASON)) {
    return `reason must be a string of at most ${MAX_END_REASON} characters`;
  }
  return undefined;
}
