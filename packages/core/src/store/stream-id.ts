import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const ID_LENGTH = 10;
/**
 * Random bytes drawn 100 identities at a time: a stream created by its first write makes one per
 * request when many jobs start at once, and each small `randomBytes` call crosses into OpenSSL.
 */
const pool = Buffer.alloc(ID_LENGTH * 100);
let used = pool.length;

/**
 * A new random stream identity: 10 characters of Crockford base32 (50 bits), short enough to
 * repeat in every id and random enough that two stores never share one.
 */
export function createStreamId(): string {
  if (used + ID_LENGTH > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  let id = '';
  for (let i = 0; i < ID_LENGTH; i++) id += ALPHABET[(pool[used + i] as number) & 31];
  used += ID_LENGTH;
  return id;
}
