import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A new random stream identity: 10 characters of Crockford base32 (50 bits), short enough to
 * repeat in every id and random enough that two stores never share one.
 */
export function createStreamId(): string {
  let id = '';
  for (const byte of randomBytes(10)) id += ALPHABET[byte & 31];
  return id;
}
