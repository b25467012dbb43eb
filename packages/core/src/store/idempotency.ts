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

/** Throws LIVELOG_ERR_INGEST_IDEMPOTENCY_MISMATCH when a remembered key comes with another body. */
export function checkSameBody(key: string, remembered: string | undefined, given: string | undefined): void {
  if (remembered !== undefined && given !== undefined && remembered !== '' && given !== '' && remembered !== given) {
    throw new LivelogError(
      'LIVELOG_ERR_INGEST_IDEMPOTENCY_MISMATCH',
      `Idempotency-Key ${JSON.stringify(key)} was already used for a different batch; use a new key per batch`,
    );
  }
}
