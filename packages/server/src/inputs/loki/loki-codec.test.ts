import { compress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { decodeLokiPush, snappyElementsLength } from './loki-codec.js';

describe('snappyElementsLength', () => {
  // Literals short and long (60+ bytes), and copies: repeated text compresses to back-references.
  const data = Buffer.from(
    `${'abc'.repeat(40)} ${Array.from({ length: 300 }, (_, i) => String.fromCharCode(33 + ((i * 7) % 90))).join('')}`,
  );
  const block = compress(new Uint8Array(data));

  it('is the declared length for a whole block', () => {
    expect(snappyElementsLength(block)).toBe(data.length);
    expect(snappyElementsLength(compress(new Uint8Array(0)))).toBe(0);
  });

  it('differs from the declared length for every cut of it', () => {
    for (let cut = 1; cut < block.length; cut++) expect(snappyElementsLength(block.subarray(0, cut))).not.toBe(data.length);
  });

  it('refuses a copy from before the start', () => {
    // Preamble 4, then a 1-byte-offset copy of 4 bytes from offset 1 with nothing produced yet.
    expect(snappyElementsLength(Uint8Array.from([4, 0x01, 0x01]))).toBeUndefined();
  });

  it('makes decodeLokiPush refuse a cut block that snappyjs would pad with zeros', () => {
    expect(() => decodeLokiPush(Buffer.from(block.subarray(0, 2)), 'protobuf', 1 << 20)).toThrow(/snappy block/);
  });
});
