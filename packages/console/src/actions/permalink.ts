import { decodeCursor } from '@livelog/protocol';

/** The line id a location hash links to (`#id=<stream>:<seq>`), or undefined. */
export function permalinkId(hash: string): string | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const id = params.get('id');
  if (id === null) return undefined;
  return decodeCursor(id).ok ? id : undefined;
}

/** The line id the URL `url` links to in its hash, or undefined (none, or a URL that does not parse). */
export function permalinkOfUrl(url: string): string | undefined {
  try {
    return permalinkId(new URL(url).hash);
  } catch {
    return undefined;
  }
}

/**
 * `base` (a page URL) with its hash set to link to the line `id`, keeping the path and query but for
 * `token`: a copied link is pasted into chats and tickets, and must not hand out the reader's secret.
 * Whoever opens it brings their own token (the prompt asks for it).
 */
export function permalinkUrl(base: string, id: string): string {
  const url = new URL(base);
  url.searchParams.delete('token');
  url.hash = `id=${id}`;
  return url.toString();
}
