import { createHash } from 'node:crypto';
import { LivelogError } from '../errors.js';

/** A SHA-256 digest of a request (its parts in order), to tell a retry from a different batch with the same key. */
export function digestBody(...parts: (Uint8Array | string)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('base64url');
}

/** How long a store remembers an idempotency key. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** Most idempotency keys a store remembers per stream; the oldest are forgotten first. */
export const IDEMPOTENCY_MAX_KEYS = 100_000;

/**
 * How long and how many idempotency keys a store remembers, whatever the entry retention (an
 * unlimited retention must not mean unbounded keys).
 */
export interface IdempotencyLimits {
  /** Defaults to 24 h. */
  ttlMs?: number;
  /** Per stream. Defaults to 100,000. */
  maxKeys?: number;
}

/** The limits with their defaults filled in. */
export function idempotencyLimits(limits: IdempotencyLimits = {}): Required<IdempotencyLimits> {
  return { ttlMs: limits.ttlMs ?? IDEMPOTENCY_TTL_MS, maxKeys: limits.maxKeys ?? IDEMPOTENCY_MAX_KEYS };
}

/** Throws LIVELOG_ERR_INGEST_IDEMPOTENCY_MISMATCH when a remembered key comes with another body. */
export function checkSameBody(key: string, remembered: string | undefined, given: string | undefined): void {
  if (remembered !== undefined && given !== undefined && remembered !== '' && given !== '' && remembered !== given) {
    throw new LivelogError(
      'LIVELOG_ERR_INGEST_IDEMPOTENCY_MISMATCH',
      `Idempotency-Key ${JSON.stringify(key)} was already used for a different batch; use a new key per batch`,
    );
  }
}
