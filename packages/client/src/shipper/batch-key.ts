/**
 * A source of Idempotency-Keys: a random prefix per shipper and a counter, e.g. `Qm9vb2ZhcnNoaXA-1a`.
 * Keys must be unique across shipper restarts (the server remembers them for 24 h), hence the
 * 96 random bits; Web Crypto keeps this browser-safe.
 */
export function createKeySource(): () => string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  let prefix = '';
  for (const byte of bytes) prefix += byte.toString(16).padStart(2, '0');
  let counter = 0;
  return () => `${prefix}-${(++counter).toString(36)}`;
}
