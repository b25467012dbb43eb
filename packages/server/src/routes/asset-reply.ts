import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleAsset, ContentCoding } from './console-assets.js';

/** `Cache-Control` of files whose name is their content hash: a name never changes meaning. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** `Cache-Control` of files whose name stays while their content changes: keep, but ask first (ETag). */
export const REVALIDATE = 'no-cache';

/**
 * The coding to send for an `Accept-Encoding` header: brotli when accepted, else gzip, else none.
 * A coding listed with `q=0` is refused (RFC 9110 §12.5.3); `*` accepts any not named.
 */
export function negotiateCoding(header: string | undefined): ContentCoding | undefined {
  if (header === undefined || header === '') return undefined;
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((param) => /^\s*q=([0-9.]+)\s*$/.exec(param)?.[1]).find((value) => value !== undefined);
    weights.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  const accepted = (coding: string): boolean => (weights.get(coding) ?? weights.get('*') ?? 0) > 0;
  if (accepted('br')) return 'br';
  if (accepted('gzip')) return 'gzip';
  return undefined;
}

/** True when `If-None-Match` names `etag` (weak comparison, RFC 9110 §13.1.2) or is `*`. */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const bare = (tag: string): string => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

/**
 * Sends a console file as a production static server would: compressed when the client accepts it
 * (each coding has its own ETag, as RFC 9110 asks of different representations), `Vary:
 * Accept-Encoding`, and 304 without a body when the client's copy is current.
 */
export async function sendAsset(
  request: FastifyRequest,
  reply: FastifyReply,
  asset: ConsoleAsset,
  cacheControl: string,
): Promise<FastifyReply> {
  const coding = negotiateCoding(request.headers['accept-encoding']);
  const encoded = coding === undefined ? undefined : await asset.encoded(coding);
  const etag = encoded === undefined ? asset.etag : `${asset.etag.slice(0, -1)}-${coding}"`;
  reply.header('cache-control', cacheControl).header('etag', etag).header('vary', 'accept-encoding');
  if (notModified(request.headers['if-none-match'], etag)) return reply.code(304).send();
  reply.type(asset.contentType);
  if (encoded !== undefined && coding !== undefined) reply.header('content-encoding', coding);
  return reply.send(encoded ?? asset.body);
}
