import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeContentEncoding } from './decode-content-encoding.js';

describe('decodeContentEncoding', () => {
  const text = Buffer.from('{"hello":"world"}');

  it.each([undefined, '', 'identity', 'IDENTITY '])('passes %j bodies through', async (encoding) => {
    expect(await decodeContentEncoding(text, encoding, 1024)).toBe(text);
  });

  it('undoes gzip and deflate', async () => {
    expect((await decodeContentEncoding(gzipSync(text), 'gzip', 1024)).equals(text)).toBe(true);
    expect((await decodeContentEncoding(deflateSync(text), 'deflate', 1024)).equals(text)).toBe(true);
  });

  it('stops a gzip bomb at the limit', async () => {
    // 64 MiB of zeros in about 64 KiB: decoding must stop at 1 MiB, not allocate 64.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const heapBefore = process.memoryUsage().arrayBuffers;
    await expect(decodeContentEncoding(bomb, 'gzip', 1024 * 1024)).rejects.toMatchObject({
      code: 'LIVELOG_ERR_INGEST_BODY_TOO_LARGE',
      statusCode: 413,
    });
    expect(process.memoryUsage().arrayBuffers - heapBefore).toBeLessThan(16 * 1024 * 1024);
  });

  it('refuses corrupt data and unknown encodings with their codes', async () => {
    await expect(decodeContentEncoding(text, 'gzip', 1024)).rejects.toMatchObject({ code: 'LIVELOG_ERR_INGEST_BAD_COMPRESSION' });
    await expect(decodeContentEncoding(text, 'br', 1024)).rejects.toMatchObject({
      code: 'LIVELOG_ERR_INGEST_UNSUPPORTED_ENCODING',
      statusCode: 415,
    });
  });

  it('leaves encodings the caller decodes itself', async () => {
    expect(await decodeContentEncoding(text, 'snappy', 1024, ['snappy'])).toBe(text);
  });
});
