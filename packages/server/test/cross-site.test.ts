import { request } from 'node:http';
import type { LogEntry } from '@livelog/protocol';
import { startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** What the server answered: status, the error code if any, and the start of the body. */
interface Answer {
  status: number;
  code: string | undefined;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * One request over node:http, which, unlike fetch, sends the Host and Sec-Fetch-* headers it is
 * given as they are. An SSE answer is cut after its head.
 */
function send(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const url = new URL(`${base}${path}`);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: url.port, method, path: `${url.pathname}${url.search}`, headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        const done = (): void => {
          let code: string | undefined;
          try {
            code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
          } catch {}
          resolve({ status: res.statusCode ?? 0, code, body: text, headers: res.headers });
        };
        if (String(res.headers['content-type']).startsWith('text/event-stream')) {
          res.destroy();
          done();
          return;
        }
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', done);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let open: TestServer;
let withCors: TestServer;
let named: TestServer;
let tokened: TestServer;
const TOKEN = 'cross-site-token-1';

beforeAll(async () => {
  [open, withCors, named, tokened] = await Promise.all([
    startServer(),
    startServer({ corsOrigin: 'https://dash.example.com' }),
    startServer({ allowedHost: 'logs.internal,.team.example' }),
    startServer({ tokens: [TOKEN] }),
  ]);
});
afterAll(async () => {
  await Promise.all([open, withCors, named, tokened].map((server) => server?.close()));
});

const hostOf = (server: TestServer): string => new URL(server.url).host;
const portOf = (server: TestServer): string => new URL(server.url).port;

async function stored(server: TestServer): Promise<LogEntry[]> {
  const page = await fetch(`${server.url}/api/logs?from=start&limit=1000`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return ((await page.json()) as { entries: LogEntry[] }).entries;
}

interface Route {
  name: string;
  method: string;
  path: string;
  body?: string;
  type?: string;
}

const ROUTES: Route[] = [
  { name: 'POST /api/logs', method: 'POST', path: '/api/logs?source=web', body: 'written by another site', type: 'text/plain' },
  { name: 'GET /api/logs', method: 'GET', path: '/api/logs' },
  { name: 'GET /api/stream', method: 'GET', path: '/api/stream?from=start' },
  { name: 'GET /api/sources', method: 'GET', path: '/api/sources' },
  { name: 'GET /metrics', method: 'GET', path: '/metrics' },
  { name: 'GET /', method: 'GET', path: '/' },
];

const headersOf = (route: Route, extra: Record<string, string>): Record<string, string> => ({
  ...(route.type === undefined ? {} : { 'content-type': route.type }),
  ...extra,
});

// Regression (issue 11, item 1): without a token any web page could write to a local server with a
// text/plain POST, and a page on a DNS-rebinding name could read it.
describe('a server without tokens refuses other sites', () => {
  it.each(ROUTES)('$name: a cross-site Origin is refused with 403, and nothing is stored', async (route) => {
    const before = await stored(open);
    const answer = await send(open.url, route.method, route.path, headersOf(route, { origin: 'https://evil.example' }), route.body);
    expect(answer.status).toBe(403);
    expect(answer.code).toBe('LIVELOG_ERR_AUTH_CROSS_SITE');
    expect(await stored(open)).toEqual(before);
  });

  it.each(ROUTES)('$name: a rebinding Host is refused with 421, and nothing is stored', async (route) => {
    const before = await stored(open);
    const answer = await send(open.url, route.method, route.path, headersOf(route, { host: `rebind.example:${portOf(open)}` }), route.body);
    expect(answer.status).toBe(421);
    expect(answer.code).toBe('LIVELOG_ERR_AUTH_HOST_NOT_ALLOWED');
    expect(await stored(open)).toEqual(before);
  });

  it.each(ROUTES)('$name: a request a browser marks Sec-Fetch-Site: cross-site is refused without an Origin too', async (route) => {
    const before = await stored(open);
    const answer = await send(
      open.url,
      route.method,
      route.path,
      headersOf(route, { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }),
      route.body,
    );
    expect(answer.status).toBe(403);
    expect(answer.code).toBe('LIVELOG_ERR_AUTH_CROSS_SITE');
    expect(await stored(open)).toEqual(before);
  });

  it('refuses an opaque Origin (sandboxed frames, file: pages), another port and another scheme', async () => {
    for (const origin of ['null', `http://127.0.0.1:${Number(portOf(open)) + 1}`, `http://localhost:${portOf(open)}`, 'not a url']) {
      const answer = await send(open.url, 'POST', '/api/logs', { 'content-type': 'text/plain', origin }, 'x');
      expect(answer.status, origin).toBe(403);
    }
  });

  it('refuses a cross-site frame of the console, but lets a link from another site open it', async () => {
    const frame = await send(open.url, 'GET', '/', {
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'iframe',
    });
    expect(frame.status).toBe(403);
    const link = await send(open.url, 'GET', '/', {
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document',
    });
    expect(link.status).toBe(200);
    const form = await send(
      open.url,
      'POST',
      '/api/logs',
      { 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' },
      'a form post',
    );
    expect(form.status).toBe(403);
  });

  it('serves its own origin, loopback names with or without the port, and clients that send no Origin', async () => {
    const before = (await stored(open)).length;
    const port = portOf(open);
    const cases: Record<string, string>[] = [
      {},
      { host: `127.0.0.1:${port}` },
      { host: '127.0.0.1' },
      { host: `localhost:${port}` },
      { host: 'LOCALHOST' },
      { host: `[::1]:${port}` },
      { host: '[::1]' },
      { host: `app.localhost:${port}` },
      { host: `10.1.2.3:${port}` },
      { host: '[fd00::5]' },
      { origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' },
      { host: `localhost:${port}`, origin: `http://localhost:${port}` },
      { 'sec-fetch-site': 'none' },
    ];
    for (const headers of cases) {
      const answer = await send(open.url, 'POST', '/api/logs', { 'content-type': 'text/plain', ...headers }, 'allowed');
      expect(answer.status, JSON.stringify(headers)).toBe(200);
      const read = await send(open.url, 'GET', '/api/stream', headers);
      expect(read.status, JSON.stringify(headers)).toBe(200);
    }
    expect((await stored(open)).length).toBe(before + cases.length);
  });

  it('accepts the names given with --allowed-host, and only those', async () => {
    const port = portOf(named);
    for (const host of [
      `logs.internal:${port}`,
      'LOGS.INTERNAL',
      `team.example:${port}`,
      `a.b.team.example:${port}`,
      `127.0.0.1:${port}`,
    ]) {
      const answer = await send(named.url, 'GET', '/api/logs', { host });
      expect(answer.status, host).toBe(200);
    }
    const sameHost = await send(
      named.url,
      'POST',
      '/api/logs',
      { host: `logs.internal:${port}`, origin: `http://logs.internal:${port}`, 'content-type': 'text/plain' },
      'x',
    );
    expect(sameHost.status).toBe(200);
    for (const host of [`logs.internal.evil:${port}`, `xteam.example:${port}`, `internal:${port}`]) {
      expect((await send(named.url, 'GET', '/api/logs', { host })).status, host).toBe(421);
    }
  });

  it('lets the origins allowed by --cors-origin in, with CORS headers, and no other', async () => {
    const before = (await stored(withCors)).length;
    const allowed = await send(
      withCors.url,
      'POST',
      '/api/logs',
      { 'content-type': 'text/plain', origin: 'https://dash.example.com', 'sec-fetch-site': 'cross-site' },
      'from the dashboard',
    );
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://dash.example.com');
    const preflight = await send(withCors.url, 'OPTIONS', '/api/stream', {
      origin: 'https://dash.example.com',
      'access-control-request-method': 'GET',
    });
    expect(preflight.status).toBe(204);
    const other = await send(withCors.url, 'POST', '/api/logs', { 'content-type': 'text/plain', origin: 'https://evil.example' }, 'x');
    expect(other.status).toBe(403);
    const otherPreflight = await send(withCors.url, 'OPTIONS', '/api/logs', {
      origin: 'https://evil.example',
      'access-control-request-method': 'POST',
    });
    expect(otherPreflight.status).toBe(403);
    expect((await stored(withCors)).map((entry) => entry.msg).slice(before)).toEqual(['from the dashboard']);
  });

  it('preflights every method of the streams API for an allowed origin: PUT (labels) and DELETE too', async () => {
    const origin = 'https://dash.example.com';
    for (const [method, path] of [
      ['PUT', '/api/streams/dash-1'],
      ['DELETE', '/api/streams/dash-1'],
      ['POST', '/api/streams/dash-1/end'],
    ] as const) {
      const preflight = await send(withCors.url, 'OPTIONS', path, {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'content-type',
      });
      expect(preflight.status, `${method} ${path}`).toBe(204);
      const methods = String(preflight.headers['access-control-allow-methods']).split(/,\s*/);
      expect(methods, `${method} ${path}`).toContain(method);
    }
    const put = await send(
      withCors.url,
      'PUT',
      '/api/streams/dash-1',
      { origin, 'content-type': 'application/json' },
      '{"labels":{"team":"a"}}',
    );
    expect(put.status).toBe(200);
    expect(put.headers['access-control-allow-origin']).toBe(origin);
  });

  it('lets a page of an allowed origin read Retry-After (a busy 503), as the shipper backs off by it', async () => {
    const answer = await send(withCors.url, 'GET', '/api/streams', { origin: 'https://dash.example.com' });
    expect(answer.status).toBe(200);
    const exposed = String(answer.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/);
    expect(exposed).toContain('retry-after');
  });
});

describe('a server with tokens', () => {
  it('does not restrict Host or Origin: the token is what protects it', async () => {
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' };
    const answer = await send(
      tokened.url,
      'POST',
      '/api/logs',
      { ...auth, host: `rebind.example:${portOf(tokened)}`, origin: 'https://evil.example' },
      'x',
    );
    expect(answer.status).toBe(200);
    const noToken = await send(tokened.url, 'POST', '/api/logs', { 'content-type': 'text/plain', origin: 'https://evil.example' }, 'x');
    expect(noToken.status).toBe(401);
    expect(hostOf(tokened)).toMatch(/^127\.0\.0\.1:/);
  });
});
