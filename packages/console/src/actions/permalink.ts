import { decodeCursor } from '@livelog/protocol';

/** The line id a location hash links to (`#id=<stream>:<seq>`), or undefined. */
export function permalinkId(hash: string): string | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const id = params.get('id');
  if (id === null) return undefined;
  return decodeCursor(id).ok ? id : undefined;
}

/** `base` (a page URL) with its hash set to link to the line `id`, keeping the path and query. */
export function permalinkUrl(base: string, id: string): string {
  const url = new URL(base);
  url.hash = `id=${id}`;
  return url.toString();
}
