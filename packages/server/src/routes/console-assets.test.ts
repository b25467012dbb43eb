import { createHash } from 'node:crypto';
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
    // Regression (issue 11, item 10): no other site may frame the console (clickjacking).
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'self'");
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
    // Regression (issue 11, item 10): the placeholder has a policy too, allowing its own inline code only.
    const policy = String(page.headers['content-security-policy']);
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("frame-ancestors 'self'");
    expect(policy).toContain("connect-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
    for (const [tag, directive] of [
      ['script', 'script-src'],
      ['style', 'style-src'],
    ] as const) {
      const inline = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(page.body)?.[1] ?? '';
      expect(inline.length).toBeGreaterThan(100);
      const hash = createHash('sha256').update(inline).digest('base64');
      expect(policy).toContain(`${directive} 'sha256-${hash}'`);
    }
    expect((await app.inject({ url: '/assets/index.js' })).statusCode).toBe(404);
    await app.close();
  });
});
