import { createServer, type Server } from 'node:http';
import type { LogEntry } from '@livelog/protocol';
import { CHROMIUM_ARGS, chromiumPath, getJson, startServer, type TestServer, waitFor } from '@livelog/test-utils';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertConsoleBuilt } from './support/browser.js';

// Regression (issue 11, item 1), in a real browser: a server without tokens used to take writes from
// any web page and answer pages on a DNS-rebinding name; its own console must keep working.

/** The name Chromium resolves to 127.0.0.1 here, as a rebinding attacker's DNS would. */
const REBIND = 'rebind.test';
/**
 * Chromium's Local Network Access checks stop a page it deems public from reaching 127.0.0.1 by
 * itself; Firefox, Safari and older Chromiums have none. The server must hold without them.
 */
const WITHOUT_LOCAL_NETWORK_CHECKS =
  '--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,LocalNetworkAccessChecks';

let browser: Browser;
let server: TestServer;
/** A page of another site, on its own loopback port: it reaches the server as any site would. */
let evil: Server;
let evilOrigin: string;

beforeAll(async () => {
  assertConsoleBuilt();
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: [...CHROMIUM_ARGS, `--host-resolver-rules=MAP ${REBIND} 127.0.0.1`, WITHOUT_LOCAL_NETWORK_CHECKS],
  });
  server = await startServer();
  evil = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>another site</title>');
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  evilOrigin = `http://localhost:${(evil.address() as { port: number }).port}`;
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  evil?.closeAllConnections();
  await new Promise((resolve) => evil?.close(resolve));
});

async function stored(): Promise<string[]> {
  return (await getJson<{ entries: LogEntry[] }>(server.url, '/api/logs?from=start&limit=1000')).body.entries.map((entry) => entry.msg);
}

async function refusals(code: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(new RegExp(`livelog_requests_rejected_total\\{code="${code}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
}

describe('a server without tokens, seen from Chromium', () => {
  it('stores nothing another site posts, by fetch, beacon or form, and opens it no stream', async () => {
    const before = await stored();
    const refusedBefore = await refusals('LIVELOG_ERR_AUTH_CROSS_SITE');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${evilOrigin}/`);
    const target = server.url;
    const streamFailed = await page.evaluate(async (base) => {
      await fetch(`${base}/api/logs`, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: 'by fetch' });
      navigator.sendBeacon(`${base}/api/logs`, 'by beacon');
      return new Promise<boolean>((resolve) => {
        const source = new EventSource(`${base}/api/stream`);
        source.onerror = () => {
          source.close();
          resolve(true);
        };
        source.onopen = () => resolve(false);
      });
    }, target);
    expect(streamFailed).toBe(true);
    // A form posted across sites is a top-level navigation, with an Origin.
    await page.setContent(`<form method="post" enctype="text/plain" action="${target}/api/logs"><input name="by form" value="x"></form>`);
    const navigation = page.waitForNavigation();
    await page.evaluate(() => document.querySelector('form')?.submit());
    const answer = await (await navigation)?.text();
    expect(answer).toContain('LIVELOG_ERR_AUTH_CROSS_SITE');
    // Fetch, beacon, stream and form each reached the server and were refused.
    await waitFor(async () => (await refusals('LIVELOG_ERR_AUTH_CROSS_SITE')) - refusedBefore >= 4, { what: 'four refusals' });
    expect(await stored()).toEqual(before);
    expect(server.server.engine.broker.stats.connects).toBe(0);
    await context.close();
  });

  it('answers nothing to a page on a rebinding name, though it is same-origin with it', async () => {
    const before = await stored();
    const context = await browser.newContext();
    const page = await context.newPage();
    const port = new URL(server.url).port;
    // The attacker's page was served before the name was rebound to 127.0.0.1; the rest goes to livelog.
    await page.route(`http://${REBIND}:${port}/attack.html`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>rebound</title>' }),
    );
    await page.goto(`http://${REBIND}:${port}/attack.html`);
    const seen = await page.evaluate(async () => {
      const read = await fetch('/api/logs?from=start');
      const write = await fetch('/api/logs', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'rebound write' });
      return { read: read.status, readBody: await read.text(), write: write.status };
    });
    expect(seen.read).toBe(421);
    expect(seen.readBody).toContain('LIVELOG_ERR_AUTH_HOST_NOT_ALLOWED');
    expect(seen.write).toBe(421);
    expect(await stored()).toEqual(before);
    await context.close();
  });

  it('still serves its own console: the page, its stream and a same-origin POST', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.url}/`);
    await page.locator('livelog-console .state[data-state="live"]').waitFor();
    const posted = await page.evaluate(async () => {
      const reply = await fetch('api/logs?source=console', {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'from the page',
      });
      return reply.status;
    });
    expect(posted).toBe(200);
    await page.locator('livelog-console .row .msg', { hasText: 'from the page' }).waitFor();
    expect((await stored()).at(-1)).toBe('from the page');
    expect(errors).toEqual([]);
    await context.close();
  });
});
