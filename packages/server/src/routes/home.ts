import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { IMMUTABLE, REVALIDATE, sendAsset } from './asset-reply.js';
import { type ConsoleAssets, findConsoleAssets } from './console-assets.js';

/** The placeholder page's inline style and script, allowed by their hashes in its policy. */
const STYLE = `
  :root { color-scheme: light dark; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
  body { margin: 0; }
  header { position: sticky; top: 0; padding: .5rem 1rem; background: Canvas; border-bottom: 1px solid GrayText; display: flex; gap: 1rem; }
  #lines { padding: .5rem 1rem; white-space: pre-wrap; word-break: break-all; font-size: 13px; line-height: 1.4; }
  .trace, .debug { opacity: .6; } .warn { color: #b58900; } .error { color: #dc322f; } .fatal { color: #fff; background: #dc322f; }
  .gap { color: #d33682; font-style: italic; }
`;
const SCRIPT = `
  const lines = document.getElementById('lines');
  const status = document.getElementById('status');
  const token = new URLSearchParams(location.search).get('token');
  const url = 'api/stream?tail=500' + (token ? '&token=' + encodeURIComponent(token) : '');
  const source = new EventSource(url);
  const add = (text, cls) => {
    const row = document.createElement('div');
    row.textContent = text;
    if (cls) row.className = cls;
    const follow = innerHeight + scrollY >= document.body.scrollHeight - 40;
    lines.append(row);
    while (lines.childElementCount > 5000) lines.firstElementChild.remove();
    if (follow) scrollTo(0, document.body.scrollHeight);
  };
  source.onopen = () => { status.textContent = 'live'; };
  source.onerror = () => { status.textContent = 'reconnecting…'; };
  source.onmessage = (event) => {
    const entry = JSON.parse(event.data);
    add(new Date(entry.time).toISOString() + ' ' + entry.level.toUpperCase().padEnd(5) + ' [' + entry.source + '] ' + entry.msg, entry.level);
  };
  source.addEventListener('gap', (event) => {
    const gap = JSON.parse(event.data);
    add('— ' + gap.missed + ' lines removed by retention here —', 'gap');
  });
`;

/**
 * A minimal page at the plugin's root that shows the live stream, served when the web console
 * (@livelog/console) is not built or not installed. It uses relative URLs only, so it works under any
 * base path.
 */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>livelog</title>
<style>${STYLE}</style>
</head>
<body>
<header><strong>livelog</strong><span id="status" role="status">connecting…</span></header>
<main id="lines" aria-live="off"></main>
<script>${SCRIPT}</script>
</body>
</html>
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * `frame-ancestors 'self'`: no other site may frame the console and trick clicks on it (clickjacking);
 * a page of the same origin still can. Other sites embed the `<livelog-console>` element instead.
 */
const FRAMING = "frame-ancestors 'self'";

/** Log lines are rendered as text, never markup; the policy is a second wall should that ever slip. */
const CONSOLE_POLICY = `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; ${FRAMING}`;

/** The placeholder runs its own inline style and script only, named by hash, and talks to its origin only. */
const PLACEHOLDER_POLICY = `default-src 'none'; script-src ${sha256(SCRIPT)}; style-src ${sha256(STYLE)}; connect-src 'self'; base-uri 'none'; form-action 'none'; ${FRAMING}`;

/**
 * Serves the web console at `/` (the built @livelog/console dashboard, its hashed assets under
 * `assets/`, and the standalone `livelog-console.js` module), or the placeholder page when the console
 * is not built (or `assets` is null). The bare prefix redirects to `prefix/`, so the page's relative URLs resolve.
 */
export function registerHome(app: FastifyInstance, assets: ConsoleAssets | null = findConsoleAssets() ?? null): void {
  app.get('/', async (request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '';
    if (!path.endsWith('/')) return reply.redirect(`${path}/${request.url.slice(path.length)}`, 301);
    const page = await assets?.read('index.html');
    reply.header('content-security-policy', page === undefined ? PLACEHOLDER_POLICY : CONSOLE_POLICY);
    // The page names the hashed assets of the current build, so it is revalidated on every load (ETag, 304).
    if (page !== undefined) return sendAsset(request, reply, page, REVALIDATE);
    reply.type('text/html; charset=utf-8').header('cache-control', REVALIDATE);
    return PAGE;
  });
  if (assets === null) return;
  app.get<{ Params: { file: string } }>('/assets/:file', async (request, reply) => {
    const file = await assets.read(`assets/${request.params.file}`);
    if (file === undefined) return reply.callNotFound();
    return sendAsset(request, reply, file, file.hashed ? IMMUTABLE : REVALIDATE);
  });
  app.get('/livelog-console.js', async (request, reply) => {
    const file = await assets.bundle();
    if (file === undefined) return reply.callNotFound();
    // Pages of other sites load this module by a fixed URL, so it is revalidated rather than kept.
    reply.header('access-control-allow-origin', '*');
    return sendAsset(request, reply, file, REVALIDATE);
  });
}
