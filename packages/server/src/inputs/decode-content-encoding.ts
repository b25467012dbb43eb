import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import { LivelogError } from '@livelog/core';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/**
 * `body` with its Content-Encoding undone: none, `identity`, `gzip` or `deflate`. The decompressed
 * size is bounded by `limit` while decompressing, so a small body that inflates enormously (a gzip
 * bomb) fails with LIVELOG_ERR_INGEST_BODY_TOO_LARGE having used at most `limit` bytes of memory.
 * `passThrough` names encodings the caller decodes itself (Loki's `snappy`).
 */
export async function decodeContentEncoding(
  body: Buffer,
  header: string | string[] | undefined,
  limit: number,
  passThrough: readonly string[] = [],
): Promise<Buffer> {
  const encoding = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim().toLowerCase();
  if (encoding === '' || encoding === 'identity' || passThrough.includes(encoding)) return body;
  const inflater = encoding === 'gzip' || encoding === 'x-gzip' ? gunzipAsync : encoding === 'deflate' ? inflateAsync : undefined;
  if (inflater === undefined) {
    throw new LivelogError(
      'LIVELOG_ERR_INGEST_UNSUPPORTED_ENCODING',
      `Content-Encoding ${JSON.stringify(encoding)} is not supported; send gzip, deflate or an uncompressed body`,
    );
  }
  try {
    return await inflater(body, { maxOutputLength: limit });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new LivelogError(
        'LIVELOG_ERR_INGEST_BODY_TOO_LARGE',
        `the ${encoding}-decoded body is larger than the body limit of ${limit} bytes`,
        {
          cause: error,
        },
      );
    }
    throw new LivelogError('LIVELOG_ERR_INGEST_BAD_COMPRESSION', `the body is not valid ${encoding} data (${(error as Error).message})`, {
      cause: error,
    });
  }
}
