import { createServer as createHttpServer } from 'node:http';
import { Broker, MemoryStore } from '@livelog/core';
import { createStreamHandler, livelog, resolveServerConfig } from '@livelog/server';
import { getJson, ingest, ResumingReader, spawnServer, startServer, tempDir, waitFor } from '@livelog/test-utils';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

describe('mounting', () => {
  it('mounts into an existing Fastify app under a prefix without touching its routes or parsers', async () => {
    const app = Fastify();
    app.get('/health', async () => ({ app: 'mine' }));
    app.post('/echo', async (request) => request.body);
    const store = new MemoryStore();
    await app.register(livelog, { prefix: '/logs', store });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(await getJson(address, '/health')).toEqual({ status: 200, body: { app: 'mine' } });
      const echo = await fetch(`${address}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
      expect(await echo.json()).toEqual({ a: 1 });
      await ingest(`${address}/logs`, 3);
      const reader = new ResumingReader({ url: `${address}/logs/api/stream?from=start` }).start();
      await waitFor(() => reader.seqs.length === 3);
      reader.stop();
      const home = await fetch(`${address}/logs`, { redirect: 'manual' });
      expect(home.status).toBe(301);
      expect(home.headers.get('location')).toBe('/logs/');
      expect((await fetch(`${address}/logs/`)).headers.get('content-type')).toContain('text/html');
    } finally {
      await app.close();
    }
  });

  it('serves the stream from a plain node:http server', async () => {
    const store = new MemoryStore();
    await store.open();
    const broker = new Broker(store);
    await broker.start();
    const handler = createStreamHandler(broker, { tokens: [{ secret: 'plain-secret', scopes: ['read'] }] });
    const server = createHttpServer((request, response) => {
      if (request.url?.startsWith('/events')) handler(request, response);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const denied = await fetch(`http://127.0.0.1:${port}/events`);
      expect(denied.status).toBe(401);
      const head = await fetch(`http://127.0.0.1:${port}/events`, { method: 'HEAD', headers: { authorization: 'Bearer plain-secret' } });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(broker.stats.connects).toBe(0);
      const reader = new ResumingReader({
        url: `http://127.0.0.1:${port}/events?from=start`,
        headers: { authorization: 'Bearer plain-secret' },
      }).start();
      await store.append([{ time: 1, level: 'info', source: 'x', msg: 'hello' }]);
      await waitFor(() => reader.seqs.length === 1);
      reader.stop();
    } finally {
      await broker.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses other sites on a plain node:http stream without tokens (regression: issue 11, item 1)', async () => {
    const store = new MemoryStore();
    await store.open();
    const broker = new Broker(store);
    await broker.start();
    const handler = createStreamHandler(broker);
    const server = createHttpServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const evil = await fetch(`http://127.0.0.1:${port}/`, { headers: { origin: 'https://evil.example' } });
      expect(evil.status).toBe(403);
      expect(await evil.json()).toMatchObject({ error: { code: 'LIVELOG_ERR_AUTH_CROSS_SITE' } });
      const reader = new ResumingReader({ url: `http://127.0.0.1:${port}/?from=start` }).start();
      await store.append([{ time: 1, level: 'info', source: 'x', msg: 'hello' }]);
      await waitFor(() => reader.seqs.length === 1);
      reader.stop();
      expect(broker.stats.connects).toBeGreaterThanOrEqual(1);
    } finally {
      await broker.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('serves everything under --base-path', async () => {
    const server = await startServer({ basePath: '/team/logs' });
    try {
      expect(server.url.endsWith('/team/logs')).toBe(true);
      await ingest(server.url, 2);
      expect((await getJson<{ entries: unknown[] }>(server.url, '/api/logs')).body.entries).toHaveLength(2);
      const root = await fetch(new URL('/', server.url), { redirect: 'manual' });
      expect(root.headers.get('location')).toBe('/team/logs/');
      expect((await fetch(new URL('/api/logs', server.url))).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('livelog serve', () => {
  it('refuses to listen beyond loopback without a token, with a clear message', async () => {
    const dir = await tempDir();
    try {
      await expect(spawnServer({ dataDir: dir.path, args: ['--host', '0.0.0.0'] })).rejects.toThrow(
        /refusing to listen on 0\.0\.0\.0 without a token/,
      );
    } finally {
      await dir.remove();
    }
  });

  it('reads every setting from LIVELOG_* variables and reports all bad values at once', () => {
    expect(() => resolveServerConfig({ port: 'eighty', retainAge: 'forever', heartbeat: '0', tokens: ['short'] })).toThrow(
      /--port \(LIVELOG_PORT\)[\s\S]*--token \(LIVELOG_TOKENS\)[\s\S]*--retain-age \(LIVELOG_RETAIN_AGE\)[\s\S]*--heartbeat \(LIVELOG_HEARTBEAT\)/,
    );
  });
});

describe('CORS', () => {
  it('is off by default and allows the configured origins, on the stream too', async () => {
    const closed = await startServer();
    const open = await startServer({ corsOrigin: 'https://dash.example.com' });
    try {
      const plain = await fetch(`${closed.url}/api/logs`, { headers: { origin: 'https://dash.example.com' } });
      expect(plain.headers.get('access-control-allow-origin')).toBeNull();
      const allowed = await fetch(`${open.url}/api/logs`, { headers: { origin: 'https://dash.example.com' } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://dash.example.com');
      const other = await fetch(`${open.url}/api/logs`, { headers: { origin: 'https://evil.example.com' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await fetch(`${open.url}/api/stream`, {
        method: 'OPTIONS',
        headers: { origin: 'https://dash.example.com', 'access-control-request-headers': 'last-event-id' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-headers')).toContain('last-event-id');
      const controller = new AbortController();
      const stream = await fetch(`${open.url}/api/stream`, { headers: { origin: 'https://dash.example.com' }, signal: controller.signal });
      expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(stream.headers.get('access-control-allow-origin')).toBe('https://dash.example.com');
      controller.abort();
    } finally {
      await closed.close();
      await open.close();
    }
  });
});
