import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMMUTABLE, negotiateCoding, notModified } from './asset-reply.js';
import { findConsoleAssets } from './console-assets.js';
import { registerHome } from './home.js';

/** A GET over a real socket, with the raw (still encoded) body. */
function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

let app: FastifyInstance;
let base: string;
let hashedAsset: string;

beforeAll(async () => {
  // The workspace build (`npm run build`) is a precondition of the test command.
  const assets = findConsoleAssets();
  expect(assets).toBeDefined();
  app = Fastify();
  registerHome(app, assets ?? null);
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const page = (await get(`${base}/`)).body.toString('utf8');
  hashedAsset = /src="\.\/(assets\/[^"]+\.js)"/.exec(page)?.[1] ?? '';
  expect(hashedAsset).toMatch(/^assets\/.+-[A-Za-z0-9_-]{8,}\.js$/);
});
afterAll(async () => {
  await app?.close();
});

describe('console files over HTTP (issue 9, item 9)', () => {
  it('sends a hashed asset brotli- or gzip-compressed, immutable, with an ETag per coding', async () => {
    const identity = await get(`${base}/${hashedAsset}`);
    expect(identity.status).toBe(200);
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.headers['cache-control']).toBe(IMMUTABLE);
    expect(identity.headers.vary).toBe('accept-encoding');

    const br = await get(`${base}/${hashedAsset}`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['cache-control']).toBe(IMMUTABLE);
    expect(brotliDecompressSync(br.body).equals(identity.body)).toBe(true);
    expect(br.body.length).toBeLessThan(identity.body.length / 2);

    const gzip = await get(`${base}/${hashedAsset}`, { 'accept-encoding': 'gzip, br;q=0' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.body).equals(identity.body)).toBe(true);

    const tags = [identity, br, gzip].map((reply) => reply.headers.etag);
    expect(new Set(tags).size).toBe(3);
    for (const tag of tags) expect(tag).toMatch(/^"[^"]+"$/);
  });

  it('answers 304 without a body when If-None-Match names the current representation', async () => {
    for (const encoding of ['br', 'gzip', 'identity']) {
      const first = await get(`${base}/${hashedAsset}`, { 'accept-encoding': encoding });
      const again = await get(`${base}/${hashedAsset}`, { 'accept-encoding': encoding, 'if-none-match': String(first.headers.etag) });
      expect(again.status, encoding).toBe(304);
      expect(again.body.length).toBe(0);
      expect(again.headers.etag).toBe(first.headers.etag);
      expect(again.headers['cache-control']).toBe(IMMUTABLE);
    }
    // A tag of another build (or another coding) gets the file.
    const stale = await get(`${base}/${hashedAsset}`, { 'accept-encoding': 'br', 'if-none-match': '"an-older-build"' });
    expect(stale.status).toBe(200);
  });

  it('revalidates index.html and the unhashed livelog-console.js (no-cache + ETag + 304), keeping the CSP and CORS headers', async () => {
    const page = await get(`${base}/`, { 'accept-encoding': 'gzip' });
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers.etag).toBeDefined();
    const again = await get(`${base}/`, { 'accept-encoding': 'gzip', 'if-none-match': `W/${String(page.headers.etag)}` });
    expect(again.status).toBe(304);
    expect(again.headers['content-security-policy']).toContain("script-src 'self'");

    const bundle = await get(`${base}/livelog-console.js`, { 'accept-encoding': 'br' });
    expect(bundle.status).toBe(200);
    expect(bundle.headers['content-encoding']).toBe('br');
    expect(bundle.headers['cache-control']).toBe('no-cache');
    expect(bundle.headers['access-control-allow-origin']).toBe('*');
    expect(String(bundle.headers['content-type'])).toContain('text/javascript');
    const cached = await get(`${base}/livelog-console.js`, { 'accept-encoding': 'br', 'if-none-match': String(bundle.headers.etag) });
    expect(cached.status).toBe(304);
  });

  it('negotiates codings as RFC 9110 says', () => {
    expect(negotiateCoding(undefined)).toBeUndefined();
    expect(negotiateCoding('')).toBeUndefined();
    expect(negotiateCoding('identity')).toBeUndefined();
    expect(negotiateCoding('gzip, deflate, br, zstd')).toBe('br');
    expect(negotiateCoding('br;q=0, gzip;q=0.5')).toBe('gzip');
    expect(negotiateCoding('BR;Q=0, GZIP;q=0')).toBeUndefined();
    expect(negotiateCoding('*')).toBe('br');
    expect(negotiateCoding('*;q=0, gzip')).toBe('gzip');
    expect(notModified('"a", W/"b"', '"b"')).toBe(true);
    expect(notModified('*', '"x"')).toBe(true);
    expect(notModified('"a"', '"b"')).toBe(false);
    expect(notModified(undefined, '"b"')).toBe(false);
  });
});
