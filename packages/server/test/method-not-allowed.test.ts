import { MemoryStore } from '@livelog/core';
import { livelog } from '@livelog/server';
import { ingest, requestJson, startServer, type TestServer } from '@livelog/test-utils';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Regression: a known route asked with a method it does not answer was a 404 "no route", as if the
// path were mistyped; it is a 405 naming the methods the path does answer.
let server: TestServer;
let cors: TestServer;

beforeAll(async () => {
  server = await startServer();
  cors = await startServer({ corsOrigin: 'https://dash.example' });
  await ingest(server.url, 1);
});
afterAll(async () => {
  await server.close();
  await cors.close();
});

describe('a known route with another method', () => {
  it('answers 405 with Allow and a JSON error', async () => {
    const cases: [string, string, string][] = [
      ['POST', '/api/stream', 'GET, HEAD'],
      ['DELETE', '/api/logs', 'GET, HEAD, POST'],
      ['PUT', '/api/streams/default/logs?x=1', 'GET, HEAD, POST'],
      ['PATCH', '/api/streams/default', 'GET, HEAD, PUT, DELETE'],
      ['GET', '/api/streams/default/end', 'POST'],
      ['HEAD', '/api/streams/default/end', 'POST'],
      ['DELETE', '/healthz', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const reply = await requestJson(server.url, method, path);
      expect({ method, path, status: reply.status, allow: reply.headers.get('allow') }).toEqual({ method, path, status: 405, allow });
      if (method === 'HEAD') continue;
      expect(reply.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(reply.body).toEqual({
        error: {
          code: 'LIVELOG_ERR_METHOD_NOT_ALLOWED',
          message: `${path.split('?', 1)[0]} does not answer ${method}; it answers ${allow}`,
        },
      });
    }
  });

  it('keeps 404 for unknown paths, whatever the method, and for a GET route that finds nothing', async () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const reply = await requestJson(server.url, method, '/api/nope');
      expect(reply.status).toBe(404);
      expect(reply.headers.get('allow')).toBeNull();
      expect(reply.body).toEqual({ error: { code: 'LIVELOG_ERR_NOT_FOUND', message: `no route ${method} /api/nope` } });
    }
    // Served only when the console is built; either way the GET route exists or not, never a 405.
    expect((await requestJson(server.url, 'GET', '/assets/no-such-file.js')).status).toBe(404);
  });

  it('still answers HEAD on GET routes', async () => {
    for (const path of ['/api/logs', '/api/streams/default', '/healthz']) {
      const head = await fetch(`${server.url}${path}`, { method: 'HEAD' });
      expect({ path, status: head.status }).toEqual({ path, status: 200 });
    }
  });

  it('keeps the CORS preflight, and lists OPTIONS when it is there', async () => {
    const preflight = await fetch(`${cors.url}/api/streams/default/logs`, {
      method: 'OPTIONS',
      headers: { origin: 'https://dash.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const wrong = await requestJson(cors.url, 'DELETE', '/api/stream', undefined, { origin: 'https://dash.example' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(wrong.headers.get('access-control-allow-origin')).toBe('https://dash.example');
    expect((await requestJson(cors.url, 'DELETE', '/api/nope')).status).toBe(404);
  });

  it('answers 405 under a prefix in a host app, and leaves the app its own 404s', async () => {
    const app = Fastify();
    await app.register(livelog, { prefix: '/logs', store: new MemoryStore() });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const wrong = await requestJson(address, 'POST', '/logs/api/stream');
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('GET, HEAD');
      expect((await requestJson(address, 'POST', '/logs/api/nope')).status).toBe(404);
      expect((await requestJson(address, 'POST', '/elsewhere')).status).toBe(404);
    } finally {
      await app.close();
    }
  });
});
