import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { LivelogError } from '@livelog/core';
import { isLoopbackHost } from '../config.js';
import { corsAllows } from '../routes/cors.js';

/** What a server without tokens accepts besides loopback and its own origin. */
export interface SiteGuardOptions {
  /**
   * Host names answered besides localhost and IP addresses: `logs.internal`, `.example.com` (the name and every
   * subdomain), or `*` (any name: no protection against DNS rebinding). Defaults to none.
   */
  allowedHosts?: readonly string[];
  /** Origins allowed by CORS (`*`: any). Defaults to none. */
  corsOrigins?: readonly string[];
}

/** `Host`: a name, an IPv4 address or a bracketed IPv6 address, then an optional port. */
const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9._~-]+)(?::(\d{1,5}))?$/i;

/**
 * The check of a server without tokens. Its only protection is that it listens on loopback, and
 * that does not stop a browser on the same machine: any web page can POST a `text/plain` body to
 * 127.0.0.1 without a preflight, and a page on a DNS-rebinding name (`rebind.example` resolving to
 * 127.0.0.1) is same-origin with the server and can read it. So:
 *
 * - `Host` must be a loopback name (`localhost`, `*.localhost`), an IP address (127.0.0.1, `[::1]`, or
 *   the address a health probe used), or an allowed name, with any port; else 421
 *   LIVELOG_ERR_AUTH_HOST_NOT_ALLOWED. A rebinding page always sends its own name, never an address.
 * - `Origin`, when sent, must be the server's own (same host and port as `Host`) or a CORS origin;
 *   browsers send it on every cross-origin request and on every POST.
 * - Without `Origin`, `Sec-Fetch-Site: cross-site` or `same-site` (an `<img>`, `<script>` or frame
 *   of another site) is refused too, except a top-level navigation (a link to the console).
 *
 * Refusals are 403 LIVELOG_ERR_AUTH_CROSS_SITE. Clients that are not browsers (the CLI, curl, the
 * client library in Node) send no `Origin` and a loopback `Host`, and pass.
 */
export function createSiteGuard(options: SiteGuardOptions = {}): (method: string, headers: IncomingHttpHeaders) => void {
  const hosts = (options.allowedHosts ?? []).map((host) => host.toLowerCase());
  const anyHost = hosts.includes('*');
  const exact = new Set(hosts.filter((host) => !host.startsWith('.')));
  const suffixes = hosts.filter((host) => host.startsWith('.'));
  const hostAllowed = (name: string): boolean =>
    anyHost ||
    isLoopbackHost(name) ||
    // A rebinding page always reaches the server by a name; an address is what it is (probes use them).
    isIP(name.replace(/^\[|\]$/g, '')) !== 0 ||
    name.endsWith('.localhost') ||
    exact.has(name) ||
    suffixes.some((suffix) => name === suffix.slice(1) || name.endsWith(suffix));
  const corsAllowed = corsAllows(options.corsOrigins ?? []);

  return (method, headers) => {
    const hostHeader = headers.host;
    const host = hostHeader === undefined ? undefined : HOST.exec(hostHeader);
    if (host === null || (host !== undefined && !hostAllowed((host[1] as string).toLowerCase()))) {
      throw new LivelogError(
        'LIVELOG_ERR_AUTH_HOST_NOT_ALLOWED',
        `this server has no token, so it answers only requests addressed to localhost, to an IP address such as 127.0.0.1, or to a name given with --allowed-host; ${JSON.stringify(hostHeader)} is none of those (a page on a DNS-rebinding name sends that). Name it with --allowed-host, or set a token`,
      );
    }
    const origin = headers.origin;
    if (origin !== undefined) {
      if (corsAllowed(origin) || (host !== undefined && sameHost(origin, host[1] as string, host[2]))) return;
      throw crossSite(`a page of ${origin}`);
    }
    const site = headers['sec-fetch-site'];
    if ((site === 'cross-site' || site === 'same-site') && !isTopLevelNavigation(method, headers)) throw crossSite(`a ${site} request`);
  };
}

/** True when `origin` names the host and port the request was sent to. */
function sameHost(origin: string, hostName: string, hostPort: string | undefined): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const defaultPort = url.protocol === 'https:' ? '443' : '80';
  return url.hostname === hostName.toLowerCase() && (url.port || defaultPort) === (hostPort ?? defaultPort);
}

/** A link followed in the browser's own window: the page shown cannot be read or driven by the site that linked. */
function isTopLevelNavigation(method: string, headers: IncomingHttpHeaders): boolean {
  return (method === 'GET' || method === 'HEAD') && headers['sec-fetch-mode'] === 'navigate' && headers['sec-fetch-dest'] === 'document';
}

function crossSite(what: string): LivelogError {
  return new LivelogError(
    'LIVELOG_ERR_AUTH_CROSS_SITE',
    `this server has no token, so it answers only its own pages and the origins given with --cors-origin; ${what} is refused. Allow that origin with --cors-origin, or set a token`,
  );
}
