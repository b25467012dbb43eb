import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { findConsoleAssets } from './console-assets.js';
import { registerHome } from './home.js';

describe('the console at /', () => {
  it('serves the built dashboard with a CSP, and refuses paths outside the build', async () => {
    const assets = findConsoleAssets();
    // The workspace build (`npm run build`) is a precondition of the test command.
    expect(assets).toBeDefined();
    expect(await assets?.read('../package.json')).toBeUndefined();
    expect(await assets?.read('assets/../../package.json')).toBeUndefined();
    const app = Fastify();
    registerHome(app, assets ?? null);
    const page = await app.inject({ url: '/' });
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('<livelog-app>');
    expect((await app.inject({ url: '/assets/..%2F..%2Fpackage.json' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/livelog-console.js' })).headers['content-type']).toContain('text/javascript');
    await app.close();
  });

  it('falls back to the placeholder page when the console is not built', async () => {
    const app = Fastify();
    registerHome(app, null);
    const page = await app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('new EventSource');
    expect((await app.inject({ url: '/assets/index.js' })).statusCode).toBe(404);
    await app.close();
  });
});
