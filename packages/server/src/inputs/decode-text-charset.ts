import { LivelogError } from '@livelog/core';

/** Charsets whose bytes are read as UTF-8 as they are: ASCII is a subset of it. */
const AS_UTF8 = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8', 'us-ascii', 'ascii']);

/** The `charset` parameter of a Content-Type value, lower-cased and unquoted; undefined when absent. */
export function charsetOf(contentType: string | undefined): string | undefined {
  for (const parameter of (contentType ?? '').split(';').slice(1)) {
    const [name = '', ...value] = parameter.split('=');
    if (name.trim().toLowerCase() !== 'charset') continue;
    return value
      .join('=')
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
  }
  return undefined;
}

/**
 * A `text/plain` body in the charset its Content-Type names, as UTF-8. A sender that says
 * `charset=iso-8859-1` (Java's and Apache HttpClient's default for text) or `utf-16` means it: read
 * as UTF-8, its `é` became U+FFFD and its UTF-16 lines noise, both marked invalid yet stored. A
 * charset the WHATWG Encoding Standard does not know is refused (415), as is a result over `limit`
 * bytes (413): transcoding may grow a body up to three times. JSON bodies are UTF-8 by definition
 * (RFC 8259), whatever they say, and are not passed here.
 */
export function decodeTextCharset(body: Buffer, contentType: string | undefined, limit: number): Buffer {
  const charset = charsetOf(contentType);
  if (charset === undefined || charset === '' || AS_UTF8.has(charset)) return body;
  let decoded: string;
  try {
    // Only the constructor throws (RangeError, an unknown label); decoding replaces bad bytes.
    const decoder = new TextDecoder(charset);
    // The WHATWG "replacement" decoder (iso-2022-kr, hz-gb-2312, …) reads any body as one U+FFFD.
    if (decoder.encoding === 'replacement') throw new RangeError(charset);
    decoded = decoder.decode(body);
  } catch {
    throw new LivelogError(
      'LIVELOG_ERR_INGEST_UNSUPPORTED_TYPE',
      `charset ${JSON.stringify(charset)} is not one livelog decodes; send UTF-8, or a charset of the WHATWG Encoding Standard`,
    );
  }
  const text = Buffer.from(decoded, 'utf8');
  if (text.length > limit) {
    throw new LivelogError(
      'LIVELOG_ERR_INGEST_BODY_TOO_LARGE',
      `the body is larger than the body limit of ${limit} bytes once read as UTF-8`,
    );
  }
  return text;
}
