import { postLogs, startServer, type TestServer, waitFor } from '@livelog/test-utils';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appMessages, loadedSeqs, screenshot, useBrowser } from './support/browser.js';

const suite = useBrowser();
let server: TestServer;

async function write(stream: string, messages: string[]): Promise<void> {
  const body = `${messages.map((msg) => JSON.stringify({ msg, source: stream })).join('\n')}\n`;
  const response = await fetch(`${server.url}/api/streams/${stream}/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body,
  });
  expect(response.status).toBe(200);
}

async function end(stream: string, payload: object): Promise<void> {
  const response = await fetch(`${server.url}/api/streams/${stream}/end`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  expect(response.status).toBe(200);
}

beforeAll(async () => {
  server = await startServer();
  expect((await postLogs(server.url, `${JSON.stringify({ msg: 'on default' })}\n`)).status).toBe(200);
  const labels = await fetch(`${server.url}/api/streams/api-prod`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ labels: { env: 'prod', service: 'api' } }),
  });
  expect(labels.ok).toBe(true);
  await write('api-prod', ['api 1', 'api 2']);
  await write('build-7', ['compiling', 'linking', 'done']);
  await end('build-7', { exitCode: 0 });
  // Written last: the newest activity, so first in the picker.
  await write('build-8', ['still running']);
});
afterAll(async () => {
  await server?.close();
});

const open = (path: string): Promise<Page> => suite.openAt(`${server.url}${path}`, { width: 1100, height: 650 });

describe('streams in the dashboard', () => {
  it('picks streams newest first, searches by name and label, and gives each its own URL (Back returns)', async () => {
    const page = await open('/');
    await waitFor(async () => (await appMessages(page)).includes('on default'), { what: 'the default stream' });
    await page.getByRole('button', { name: /^Stream: default/ }).click();
    const options = page.locator('livelog-stream-picker li button');
    await waitFor(async () => (await options.count()) >= 3, { what: 'the streams listed' });
    const names = await options.evaluateAll((buttons) => buttons.map((button) => button.getAttribute('data-stream')));
    expect(names.slice(0, 3)).toEqual(['build-8', 'build-7', 'api-prod']);
    await expect.poll(() => page.locator('livelog-stream-picker [data-stream="build-7"] .state').textContent()).toBe('ended · exit 0');
    await screenshot(page, 'stream-picker');

    const search = page.getByRole('searchbox', { name: 'Search streams by name or label' });
    await search.fill('env=prod');
    await waitFor(async () => (await options.count()) === 1, { what: 'one stream labelled env=prod' });
    expect(await options.first().getAttribute('data-stream')).toBe('api-prod');
    await options.first().click();
    await waitFor(async () => (await appMessages(page)).join('|') === 'api 1|api 2', { what: 'the lines of api-prod' });
    expect(new URL(page.url()).searchParams.get('stream')).toBe('api-prod');
    expect(await page.title()).toBe('api-prod · livelog');

    // Lines written now arrive on the stream shown, and only there.
    await write('api-prod', ['api 3']);
    await postLogs(server.url, `${JSON.stringify({ msg: 'default again' })}\n`);
    await waitFor(async () => (await appMessages(page)).includes('api 3'), { what: 'a live line on api-prod' });
    expect(await appMessages(page)).toEqual(['api 1', 'api 2', 'api 3']);

    await page.goBack();
    await waitFor(async () => (await appMessages(page)).includes('default again'), { what: 'the default stream after Back' });
    expect(await appMessages(page)).not.toContain('api 1');
  });

  it('opening the picker puts the focus in its search box: typing filters at once, Escape closes it', async () => {
    const page = await open('/');
    await waitFor(async () => (await appMessages(page)).includes('on default'), { what: 'the default stream' });
    const toggle = page.getByRole('button', { name: /^Stream: default/ });
    await toggle.click();
    const options = page.locator('livelog-stream-picker li button');
    await waitFor(async () => (await options.count()) >= 3, { what: 'the streams listed' });
    // As a user does: no click into the box first.
    await page.keyboard.type('env=prod');
    await waitFor(async () => (await options.count()) === 1, { what: 'one stream labelled env=prod' });
    await page.keyboard.press('Escape');
    await waitFor(async () => (await options.count()) === 0, { what: 'the picker closed' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
  });

  it('an ended stream says "Ended · exit 0", its follow button is stopped, and the header says ended', async () => {
    const page = await open('/?stream=build-7');
    await waitFor(async () => (await loadedSeqs(page)).length === 3, { what: 'the three lines of build-7' });
    const state = page.locator('livelog-console .status .state');
    await expect.poll(() => state.textContent()).toBe('Ended · exit 0');
    expect(await state.getAttribute('data-state')).toBe('ended');
    const follow = page.locator('livelog-console [part~="follow"]');
    expect(await follow.textContent()).toContain('Stopped');
    expect(await follow.isDisabled()).toBe(true);
    expect(await page.locator('livelog-app header .state').textContent()).toBe('ended · exit 0');
    // Its whole log is loaded: nothing lies above the first line, and the edge says so.
    await expect.poll(() => page.locator('livelog-console .edge').textContent()).toBe('Beginning of the retained log');
    await screenshot(page, 'stream-ended');
  });

  it('a page opened before its stream exists waits for the first line, then shows it live', async () => {
    const page = await open('/?stream=later-1');
    const notice = page.locator('livelog-console .notice');
    await expect.poll(() => notice.textContent()).toBe('stream later-1 does not exist yet: waiting for its first line');
    // The volume strip waits as a strip across the console, not as a boxed card of the empty states.
    const strip = await page.locator('livelog-console [part~="histogram"]').evaluate((element) => {
      const style = getComputedStyle(element);
      const host = (element.getRootNode() as ShadowRoot).host.getBoundingClientRect();
      return { radius: style.borderTopLeftRadius, width: element.getBoundingClientRect().width, hostWidth: host.width };
    });
    expect(strip.radius).toBe('0px');
    expect(strip.width).toBeGreaterThan(strip.hostWidth - 2);
    await write('later-1', ['first line']);
    await waitFor(async () => (await appMessages(page)).includes('first line'), { what: 'the first line of later-1' });
    // Its text, not a count: under load (36) a notice was once still there, and which one was not told.
    expect(await notice.allTextContents()).toEqual([]);
    await write('later-1', ['second line']);
    await waitFor(async () => (await appMessages(page)).join('|') === 'first line|second line', { what: 'a live line' });
  });

  it('a stream that ends while shown turns to ended with its exit code after its last line', async () => {
    const page = await open('/?stream=build-8');
    const state = page.locator('livelog-console .status .state');
    await expect.poll(() => state.getAttribute('data-state')).toBe('live');
    await write('build-8', ['failing test']);
    await end('build-8', { exitCode: 2, reason: 'tests failed' });
    await expect.poll(() => state.textContent()).toBe('Ended · exit 2 · tests failed');
    expect(await appMessages(page)).toEqual(['still running', 'failing test']);
    expect(await page.locator('livelog-app header .state').getAttribute('data-failed')).toBe('');
  });
  it('finds by name and label a stream older than the newest 500 the picker lists (a server with a stream per job)', async () => {
    const put = async (name: string, labels: Record<string, string> = {}): Promise<void> => {
      const response = await fetch(`${server.url}/api/streams/${name}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ labels }),
      });
      expect(response.status).toBe(200);
    };
    await put('archive-1', { team: 'Payments' });
    // 520 newer streams push archive-1 out of the newest 500.
    for (let batch = 0; batch < 520; batch += 40) {
      await Promise.all(Array.from({ length: 40 }, (_, i) => put(`bulk-${batch + i}`)));
    }
    const page = await open('/');
    await waitFor(async () => (await appMessages(page)).includes('on default'), { what: 'the default stream' });
    await page.getByRole('button', { name: /^Stream: default/ }).click();
    const options = page.locator('livelog-stream-picker li button');
    await waitFor(async () => (await options.count()) >= 100, { what: 'the streams listed' });
    const search = page.getByRole('searchbox', { name: 'Search streams by name or label' });
    await search.fill('archive');
    await waitFor(async () => (await options.count()) === 1, { what: 'archive-1 found by name' });
    expect(await options.first().getAttribute('data-stream')).toBe('archive-1');
    await search.fill('team=Payments');
    await waitFor(async () => (await options.count()) === 1, { what: 'archive-1 found by label' });
    await options.first().click();
    await waitFor(async () => new URL(page.url()).searchParams.get('stream') === 'archive-1', { what: 'the URL of archive-1' });
  });
  it('a URL naming no valid stream says so, and the header does not claim to be connecting', async () => {
    const page = await open('/?stream=Bad%20Name');
    await page.locator('livelog-app .bad-stream').waitFor();
    const state = page.locator('livelog-app header .state');
    expect(await state.textContent()).toBe('failed');
    expect(await state.getAttribute('data-state')).toBe('failed');
  });
});

describe('a token scoped to some streams', () => {
  it('opens the readable stream active last instead of a 403 on default, and a named stream as named', async () => {
    const ADMIN = 'admin-secret-1';
    const READER = 'ci-reader-secret';
    const scoped = await startServer({ tokens: [ADMIN, `${READER}:read@ci-*`] });
    suite.defer(() => scoped.close());
    const post = async (stream: string, msg: string): Promise<void> => {
      const response = await fetch(`${scoped.url}/api/streams/${stream}/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${ADMIN}` },
        body: `${JSON.stringify({ msg })}\n`,
      });
      expect(response.status).toBe(200);
    };
    await post('default', 'not for ci');
    await post('ci-1', 'older job');
    await post('ci-2', 'newest job');
    const { page, watch } = await suite.openPage({ width: 1100, height: 650 });
    suite.defer(async () => {
      expect(watch.errors).toEqual([]);
      await page.context().close();
    });
    await page.goto(`${scoped.url}/?token=${READER}`);
    await waitFor(async () => new URL(page.url()).searchParams.get('stream') === 'ci-2');
    await waitFor(async () => (await appMessages(page)).includes('newest job'));
    await page.goto(`${scoped.url}/?token=${READER}&stream=ci-1`);
    await waitFor(async () => (await appMessages(page)).includes('older job'));
    expect(new URL(page.url()).searchParams.get('stream')).toBe('ci-1');
  });
});
